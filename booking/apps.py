from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"

    def ready(self):
        from booking.delivery_links import find_links
        from integrations.delivery_links import set_finder

        set_finder(find_links)
