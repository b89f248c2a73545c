"""Fixed inputs shared by the work tests (facts of the seed page's visit; everything else fictional)."""

SEED_EVENT = {
    "type": "visit",
    "date": "2025-03-06",
    "organizations": ["常州亦泓科技有限公司", "澎芯半导体（常州）有限公司", "领先光学技术(江苏)有限公司", "武进区人民政府"],
    "people": ["区委副书记、区长恽淇丞", "副区长王斐"],
}
