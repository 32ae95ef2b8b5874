"""One module per indicator, all with the same shape (indicator.Indicator)."""

from . import (
               arsslut,
               benford,
               delade_fakturor,
               direktupphandling,
               dubbletter,
               en_kopare,
               jamna_belopp,
               koncentration,
)

INDICATORS = {module.INDICATOR.slug: module.INDICATOR for module in (
    direktupphandling, delade_fakturor, dubbletter, koncentration, arsslut, benford,
    jamna_belopp, en_kopare)}
