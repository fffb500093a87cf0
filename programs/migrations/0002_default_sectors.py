"""The default sector taxonomy (DESIGN §6). Codes are part of the API."""

from django.db import migrations

# The Taipei "1+7" domains first, then the rest of the default taxonomy.
DEFAULT_SECTORS = [
    ("government-services", "Government services"),
    ("buildings", "Buildings"),
    ("mobility", "Mobility"),
    ("education", "Education"),
    ("health", "Health"),
    ("public-safety", "Public safety"),
    ("environment", "Environment"),
    ("economy", "Economy"),
    ("energy", "Energy"),
    ("logistics", "Logistics"),
    ("telecom", "Telecommunications"),
    ("ai-data", "AI and data"),
    ("iot", "Internet of things"),
    ("fintech", "Financial technology"),
    ("retail", "Retail"),
    ("tourism", "Tourism"),
    ("water", "Water"),
    ("waste", "Waste"),
    ("construction", "Construction"),
    ("creative-media", "Creative industries and media"),
    ("manufacturing", "Manufacturing"),
    ("agriculture-food", "Agriculture and food"),
]


def add_sectors(apps, schema_editor):
    Sector = apps.get_model("programs", "Sector")
    for code, name in DEFAULT_SECTORS:
        Sector.objects.get_or_create(code=code, defaults={"name": name})


def remove_sectors(apps, schema_editor):
    Sector = apps.get_model("programs", "Sector")
    Sector.objects.filter(code__in=[code for code, _name in DEFAULT_SECTORS]).delete()


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_catalog")]

    operations = [migrations.RunPython(add_sectors, remove_sectors)]
