from django.db import migrations
from django.db.models import Count


def count_matches(apps, schema_editor):
    """Counts the matches stored before the triggers of 0005 (which count every later write)."""
    Match = apps.get_model("matchmaker", "Match")
    ProgramMatchCount = apps.get_model("matchmaker", "ProgramMatchCount")
    ProgramMatchCount.objects.all().delete()
    ProgramMatchCount.objects.bulk_create(
        ProgramMatchCount(program_id=row["program_id"], fitting=row["fitting"])
        for row in Match.objects.filter(rank__lte=1)
        .order_by()
        .values("program_id")
        .annotate(fitting=Count("pk"))
    )


def forget_counts(apps, schema_editor):
    apps.get_model("matchmaker", "ProgramMatchCount").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('matchmaker', '0005_program_match_counts'),
    ]

    operations = [
        migrations.RunPython(count_matches, forget_counts),
    ]
