"""The demo business written into legacy ERPs' own tables, one writer per preset."""

from .ispcube import write_ispcube_demo
from .sap import write_sap_demo
from .sapb1 import write_sapb1_demo

# preset name (as `ventanilla demo-data --preset` and `[sources.*] connector` spell it) -> writer
WRITERS = {"sap": write_sap_demo, "sapb1": write_sapb1_demo, "ispcube": write_ispcube_demo}
