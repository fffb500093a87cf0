"""The default sector taxonomy (0002) in Traditional Chinese and Russian."""

from django.db import migrations

# Fill name_zh_hant and name_ru of the default sectors; rows with other codes are left alone.
SECTOR_NAMES = {
    "government-services": {"zh-hant": "政府服務", "ru": "Государственные услуги"},
    "buildings": {"zh-hant": "建築", "ru": "Здания"},
    "mobility": {"zh-hant": "交通", "ru": "Транспорт"},
    "education": {"zh-hant": "教育", "ru": "Образование"},
    "health": {"zh-hant": "醫療保健", "ru": "Здравоохранение"},
    "public-safety": {"zh-hant": "公共安全", "ru": "Общественная безопасность"},
    "environment": {"zh-hant": "環境", "ru": "Экология"},
    "economy": {"zh-hant": "經濟", "ru": "Экономика"},
    "energy": {"zh-hant": "能源", "ru": "Энергетика"},
    "logistics": {"zh-hant": "物流", "ru": "Логистика"},
    "telecom": {"zh-hant": "電信", "ru": "Телекоммуникации"},
    "ai-data": {"zh-hant": "人工智慧與資料", "ru": "Искусственный интеллект и данные"},
    "iot": {"zh-hant": "物聯網", "ru": "Интернет вещей"},
    "fintech": {"zh-hant": "金融科技", "ru": "Финансовые технологии"},
    "retail": {"zh-hant": "零售", "ru": "Розничная торговля"},
    "tourism": {"zh-hant": "觀光", "ru": "Туризм"},
    "water": {"zh-hant": "水資源", "ru": "Водное хозяйство"},
    "waste": {"zh-hant": "廢棄物管理", "ru": "Обращение с отходами"},
    "construction": {"zh-hant": "營建", "ru": "Строительство"},
    "creative-media": {"zh-hant": "創意產業與媒體", "ru": "Креативные индустрии и медиа"},
    "manufacturing": {"zh-hant": "製造業", "ru": "Промышленное производство"},
    "agriculture-food": {"zh-hant": "農業與食品", "ru": "Сельское хозяйство и продукты питания"},
}


def translate_sectors(apps, schema_editor):
    Sector = apps.get_model("programs", "Sector")
    for code, names in SECTOR_NAMES.items():
        Sector.objects.filter(code=code).update(name_zh_hant=names["zh-hant"], name_ru=names["ru"])


class Migration(migrations.Migration):
    dependencies = [("programs", "0007_content_languages")]

    operations = [migrations.RunPython(translate_sectors, migrations.RunPython.noop)]
