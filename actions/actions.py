"""Entry point for `rasa run actions`: importing the modules registers the actions."""
from actions.conversation import ActionMemberServices, ActionStartOver  # noqa: F401
from actions.request import (ActionAfterAffirm, ActionAskConfirmed, ActionAskReason,  # noqa: F401
                             ActionOpenRequest, ActionStartRequest, ValidateSecondOpinionForm)
from actions.rights import ActionAnswerRights  # noqa: F401
