"""Vocabulary of NHS organisation types.

Shared by the framework library (a line can apply to some types only, such as W4.5
for mental health trusts) and, later, the organisations app, so both speak of the
same types. The values are the words used in framework files.
"""

from django.db import models


class OrganisationType(models.TextChoices):
    ACUTE = "acute", "Acute trust"
    MENTAL_HEALTH = "mental-health", "Mental health trust"
    COMMUNITY = "community", "Community trust"
    AMBULANCE = "ambulance", "Ambulance trust"
    SPECIALIST = "specialist", "Specialist trust"
    ONLINE = "online", "Online provider"
    ICB = "icb", "Integrated care board"
