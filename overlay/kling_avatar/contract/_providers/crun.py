"""crun.ai's contract facts (see the package's docstring)."""

from . import ENVELOPE_DEFEATS, ContractFacts, NotFound, TaskShape

FACTS = ContractFacts(
    shape=TaskShape(
        provider="crun",
        create="createTask",
        read="getTaskInfo",
        balance="getBalance",
        id_param="task_id",
        created_id="task_id",
        state="status",
        created_at="create_at",
        completed_at="complete_at",
        success="success",
        results=("result", "media_urls"),
        # TaskResult: `code` 501 and a `message` when generation failed.
        failure_fields=(("result", "code"), ("result", "message")),
        cost="credits",
        balance_path=("data", "balance"),
        not_found=(404,),
    ),
    # Files go to presigned URLs, which no operation of the spec is: getUploadUrl only asks.
    uploads=frozenset(),
    lookups=frozenset({"getTaskInfo", "describeModel"}),
    not_found=(NotFound(404),),
    replaced_checks=ENVELOPE_DEFEATS,
)
