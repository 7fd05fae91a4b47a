"""From a request and a chosen model to an API call, and from the call to a routed response.

Modules: :mod:`~routerlab.gateway.files` (attachments: checks and content parts),
:mod:`~routerlab.gateway.decisions` (a decision under a cost knob and context windows),
:mod:`~routerlab.gateway.response` (:class:`RoutedResponse`), :mod:`~routerlab.gateway.answer`
(:class:`Gateway`, the one answer path of notebooks, harness, CLI and HTTP server).
"""

from __future__ import annotations

from routerlab.gateway.answer import COUNT_OFFLOAD_CHARS, Gateway, make_request
from routerlab.gateway.decisions import KnobNotApplicable, Policy, fit_decision, policy_of
from routerlab.gateway.files import (
    ALLOWED_FILES,
    DEFAULT_MAX_BYTES,
    CapabilityError,
    CheckedFile,
    FileInputError,
    FileUploader,
    PdfMode,
    check_capability,
    check_files,
    content_parts,
    openai_file_uploader,
)
from routerlab.gateway.response import RoutedResponse, failed_response, routed_response

__all__ = [
    "ALLOWED_FILES",
    "COUNT_OFFLOAD_CHARS",
    "DEFAULT_MAX_BYTES",
    "CapabilityError",
    "CheckedFile",
    "FileInputError",
    "FileUploader",
    "Gateway",
    "KnobNotApplicable",
    "PdfMode",
    "Policy",
    "RoutedResponse",
    "check_capability",
    "check_files",
    "content_parts",
    "failed_response",
    "fit_decision",
    "make_request",
    "openai_file_uploader",
    "policy_of",
    "routed_response",
]
