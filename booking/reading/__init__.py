"""The reply reader: which offered time a lead's reply accepts, if any, and how sure we are.

``read_reply`` (``reader``) is the one entry point; ``text`` keeps only what the lead wrote now,
``numbers`` finds option numbers and bare hours, ``times`` reads days and times with dateparser,
and ``words`` holds the vocabulary of intent (yes, no, hedges, auto-replies, STOP).
"""

from booking.reading.reader import HIGH_CONFIDENCE, OfferedTime, Reading, read_reply

__all__ = ["HIGH_CONFIDENCE", "OfferedTime", "Reading", "read_reply"]
