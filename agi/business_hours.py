"""Business hours (营业时间) moved down to ``hotline.business_hours`` so the configuration can validate them too."""
from hotline.business_hours import DAILY, PLAIN_CALENDAR, WORKDAYS, BadHours, Window, is_open, parse  # noqa: F401
