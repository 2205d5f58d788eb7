from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"

    def ready(self):
        # Channels below booking (the e-mail channel) hand replies on through followups.
        from followups.channels import set_reply_lookup, set_reply_receiver

        from .inbound import last_reply, receive_message

        set_reply_receiver(receive_message)
        set_reply_lookup(last_reply)
        from booking.delivery_links import find_links
        from integrations.delivery_links import set_finder

        set_finder(find_links)
