"""Imports every domain's ORM models so that ``Base.metadata`` is complete (Alembic, tests)."""

from fenghuo.audit import models as audit_models  # noqa: F401
from fenghuo.db.base import Base
from fenghuo.incident import models as incident_models  # noqa: F401
from fenghuo.monitoring import models as monitoring_models  # noqa: F401
from fenghuo.monitoring import notice_models  # noqa: F401
from fenghuo.notify import models as notify_models  # noqa: F401
from fenghuo.org import models as org_models  # noqa: F401
from fenghuo.preparedness import models as preparedness_models  # noqa: F401
from fenghuo.response import models as response_models  # noqa: F401
from fenghuo.retention import models as retention_models  # noqa: F401
from fenghuo.sharing import models as sharing_models  # noqa: F401
from fenghuo.supervision import models as supervision_models  # noqa: F401
from fenghuo.support import models as support_models  # noqa: F401
from fenghuo.warning import models as warning_models  # noqa: F401
from fenghuo.warning import protection_models  # noqa: F401

metadata = Base.metadata
