"""An IntelMQ 3.x parser bot for Suricata EVE ``alert`` lines (one JSON object per line).

IntelMQ 3.5 ships no Suricata parser (there is no ``intelmq.bots.parsers.suricata``), so the
benchmark runs this small bot, written the way IntelMQ's own line-based JSON parsers are
(``ParserBot.parse_json_stream`` + ``parse_line``, every field added through the harmonization
checks, ``raw`` kept). It runs only inside the IntelMQ venv: ``bench/intelmq_side.py`` copies it
into the run's work directory and starts it with ``intelmqctl`` like any other bot.

Mapping (EVE -> IntelMQ Data Format):
    timestamp -> time.source          src_ip/src_port -> source.ip/source.port
    dest_ip/dest_port -> destination.ip/destination.port
    proto -> protocol.transport       app_proto -> protocol.application
    alert.signature -> event_description.text   alert.signature_id -> classification.identifier
    alert.category -> classification.type (mapped) and extra.category
    alert.severity/action/gid/rev, flow_id, in_iface, flow -> extra.*
"""

from intelmq.lib.bot import ParserBot

# Suricata classtype descriptions -> IntelMQ classification.type; the rest are 'ids-alert'.
CATEGORY_TYPE = {
    "A Network Trojan was Detected": "infected-system",
    "Attempted Administrator Privilege Gain": "exploit",
    "Attempted User Privilege Gain": "exploit",
    "Attempted Information Leak": "information-disclosure",
    "Detection of a Network Scan": "scanner",
}


class SuricataEveParserBot(ParserBot):
    """Parse Suricata EVE JSON alert lines"""

    parse = ParserBot.parse_json_stream
    recover_line = ParserBot.recover_line_json_stream

    def parse_line(self, line, report):
        if line.get("event_type") != "alert":
            return None
        alert = line.get("alert") or {}
        event = self.new_event(report)
        event.add("time.source", line["timestamp"])
        event.add("source.ip", line["src_ip"])
        if "src_port" in line:
            event.add("source.port", line["src_port"])
        event.add("destination.ip", line["dest_ip"])
        if "dest_port" in line:
            event.add("destination.port", line["dest_port"])
        if line.get("proto"):
            event.add("protocol.transport", line["proto"].lower())
        if line.get("app_proto"):
            event.add("protocol.application", line["app_proto"])
        category = alert.get("category", "")
        event.add("classification.type", CATEGORY_TYPE.get(category, "ids-alert"))
        if "signature_id" in alert:
            event.add("classification.identifier", str(alert["signature_id"]))
        if alert.get("signature"):
            event.add("event_description.text", alert["signature"])
        if category:
            event.add("extra.category", category)
        for key in ("severity", "action", "gid", "rev"):
            if key in alert:
                event.add(f"extra.{key}", alert[key])
        for key in ("flow_id", "in_iface", "flow"):
            if key in line:
                event.add(f"extra.{key}", line[key])
        event.add("raw", self.recover_line())  # the original line, unparsed
        return event


BOT = SuricataEveParserBot
