"""Facts about the providers' operations that the hooks and the suite share (no schemathesis
import: the suite plans its runs without loading it)."""

from __future__ import annotations

PROVIDERS = ("crun", "apikley")

# The built-in checks the envelope checks below replace (`--exclude-checks`).
REPLACED_CHECKS = (
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "ignored_auth",
)

# Operations that create something: a task (credits) or a stored file. Against a real provider
# they are sent only with a body that cannot run, unless CONTRACT_ALLOW_CREATE=1.
WRITE_OPERATIONS = frozenset(
    {
        "createTask",
        "kling-ai-avatar-v1-pro",
        "uploadFileStream",
        "uploadFileBase64",
        "uploadFileUrl",
    }
)
TASK_CREATIONS = frozenset({"createTask", "kling-ai-avatar-v1-pro"})

# Operations that look something up by id or URL (uploadFileUrl fetches one): for a valid but
# unknown one the answer is "not found", which is a correct answer to a well-formed request.
# crun says 404; Apikley says 422 "recordInfo is null" (its spec documents it), which is also
# what it answers right after creation.
LOOKUP_OPERATIONS = frozenset(
    {"getTaskInfo", "getTaskDetails", "getDownloadUrl", "uploadFileUrl", "describeModel"}
)
APIKLEY_NOT_FOUND = (422, "recordInfo is null")
# The file-upload API has no 404 in its own code set (200/400/401/405/500): a fileUrl it cannot
# fetch is answered 400 there.
FILE_URL_NOT_FOUND = ("uploadFileUrl", 400)

# Seconds any request of the suite may take, a real provider's too.
REQUEST_TIMEOUT = 30

# Real HTTP statuses a provider may answer any request with (rate limit, outage); they say
# nothing about the request's validity, and `not_a_server_error` judges the 5xx ones.
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})

# Request fields holding a URL the provider fetches, POSTs the result to, or looks up (a
# download link is only made for the provider's own files).
FETCHED_FIELDS = ("callback_url", "callBackUrl", "image_url", "audio_url", "fileUrl", "url")
