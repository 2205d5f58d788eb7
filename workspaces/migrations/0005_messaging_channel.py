from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("workspaces", "0004_booking_provider_choices_from_registry")]

    operations = [
        migrations.AddField(
            model_name="workspace",
            name="messaging_channel",
            field=models.CharField(
                blank=True,
                choices=[
                    ("ghl", "GoHighLevel"),
                    ("email", "E-mail (SMTP)"),
                    ("webhook_out", "Outbound webhook"),
                ],
                max_length=20,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="lead",
            name="email_undeliverable_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
