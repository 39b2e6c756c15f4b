"""Layer 3: runs. Lifecycle and status, injection into captured functions, observers' seam."""

from ._observer import MetricBatch as MetricBatch
from ._observer import MetricPoint as MetricPoint
from ._observer import RunObserver as RunObserver
from ._observer import RunRecord as RunRecord
from ._observer import metric_time as metric_time
from ._run import Run as Run
from ._run import Status as Status
from ._signals import Terminated as Terminated
from ._run import start_run as start_run
