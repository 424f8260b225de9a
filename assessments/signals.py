"""Signals the assessments app sends. Other apps (the maturity report) subscribe to them
in their AppConfig.ready, so that the dependency runs one way: they import us, never
the other way round."""

from django.dispatch import Signal

# Sent once a sign-off has committed, with `assessment` and `record` (its SignOffRecord).
assessment_signed_off = Signal()
# Sent once a reopening has committed, with `assessment` and `record` (the reopening's
# SignOffRecord): whatever was derived from the sign-off no longer stands.
assessment_reopened = Signal()
