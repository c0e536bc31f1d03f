"""Pure PDF renderers for postal dossier labels and documents: data in, PDF bytes out.

Nothing here knows about HTTP, SQL or the ``postal`` package.
"""

from labels.apology import render_apology_letter
from labels.manifest import render_manifest
from labels.model import ApologyLetter, Document, Manifest, ManifestItem, Party, PickupSlip, Slip
from labels.pickup import render_pickup_slip
from labels.slips import render_slips

__all__ = [
    "ApologyLetter",
    "Document",
    "Manifest",
    "ManifestItem",
    "Party",
    "PickupSlip",
    "Slip",
    "render_apology_letter",
    "render_manifest",
    "render_pickup_slip",
    "render_slips",
]
