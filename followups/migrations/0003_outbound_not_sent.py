from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("followups", "0002_default_sequences")]

    operations = [
        migrations.AddField(
            model_name="outboundmessage",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="outboundmessage",
            name="state",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("sent", "Sent"),
                    ("failed", "Failed"),
                    ("not_sent", "Not sent"),
                ],
                default="queued",
                max_length=10,
            ),
        ),
    ]
