"""The gateway in front of several Rasa servers: every turn of a conversation goes to
the same server, conversations spread over the servers, and a server that cannot be
reached hands its conversations to the next."""

import httpx

from bot.web.assistant import RasaAssistant, servers_for

SERVERS = ("http://rasa-a:5005", "http://rasa-b:5005", "http://rasa-c:5005")


def test_a_conversation_always_goes_to_the_same_server_and_they_spread():
    firsts = [servers_for(f"web-{n}", SERVERS)[0] for n in range(300)]
    assert firsts == [servers_for(f"web-{n}", SERVERS)[0] for n in range(300)]
    assert all(firsts.count(s) > 60 for s in SERVERS)


def test_losing_a_server_moves_only_its_own_conversations():
    before = {n: servers_for(f"sms-{n}", SERVERS)[0] for n in range(300)}
    after = {n: servers_for(f"sms-{n}", SERVERS[:2])[0] for n in range(300)}
    assert all(after[n] == before[n] for n in before if before[n] != SERVERS[2])


async def test_a_server_that_cannot_be_reached_passes_the_turn_to_the_next(monkeypatch):
    monkeypatch.setenv("RASA_URL", ",".join(SERVERS))
    sender = next(f"web-{n}" for n in range(100) if servers_for(f"web-{n}", SERVERS)[0] == SERVERS[0])
    tried = []

    def rasa(request: httpx.Request) -> httpx.Response:
        tried.append(f"{request.url.scheme}://{request.url.host}:{request.url.port}")
        if tried[-1] == SERVERS[0]:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json=[{"recipient_id": sender, "text": "Hello"}])

    assistant = RasaAssistant()
    assistant._client = httpx.AsyncClient(transport=httpx.MockTransport(rasa))
    assert await assistant.ask(sender, "hi", "web") == [{"recipient_id": sender, "text": "Hello"}]
    assert tried == servers_for(sender, SERVERS)[:2]
    await assistant.aclose()
