"""The conversation: route a question, assemble its grounded context, let the local LLM phrase
the answer, verify every number and citation, and fall back to the deterministic reply when the
check fails.

How an answer is made (``Assistant.answer``):

1. :func:`assistant.router.route` names what the question asks about (heart rate, QT, axis...).
2. A :class:`~assistant.context.Context` holds the measurements, the criteria findings, the similar
   cases and the knowledge entries for those intents.
3. The deterministic grounded reply (:mod:`assistant.grounded`) states the measured values with
   their citation tags and compares them with named limits.
4. The LLM gets a prompt (langchain-core ``ChatPromptTemplate``) with the rendered context, the
   recent chat history and the question; its reply is started with the grounded statement and
   it continues with its explanation (at most two sentences).
5. :func:`assistant.verify.verify` checks the whole text: every number must be in the context or
   the question, every bracketed citation must exist, and the values the question asked for must
   be stated. On failure the LLM's text is dropped and the grounded reply is shown alone, with the
   reason kept in ``Answer.fallback_reason``.
6. Every reply ends with the overread reminder.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, trim_messages
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

from .context import Context, leads_named
from .grounded import OVERREAD, REQUIRED_FACTS, declined, grounded_reply
from .hedging import merge_lead_quality
from .knowledge import find_snippets, load_knowledge
from .router import KNOWLEDGE_FOR_INTENT, follows_up, not_assessed, route
from .verify import check_explanation, verify

SYSTEM = (
    "You are an ECG assistant for clinicians and students. Answer only from the facts below, which were "
    "measured on the patient's ECG or come from the case library and the clinical knowledge listed. "
    "Do not invent numbers. Cite facts with their tags in square brackets, for example [HR 72 bpm] or [case 1]. "
    "Be brief: at most three sentences.\n\n{context}"
)
PROMPT = ChatPromptTemplate.from_messages(
    [("system", SYSTEM), MessagesPlaceholder("history"), ("human", "{question}")]
)
HISTORY_TURNS = 4
#: The model's continuation starts with this cue, which steers it to explain rather than list numbers.
CONTINUATION_CUE = "In plain words,"
_TAG = re.compile(r"\[[^\[\]]+\]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass
class Answer:
    """One reply.

    Attributes:
        text: what the user sees (ends with the overread reminder).
        citations: citation tags used, in order of first use (``"[QTc 452 ms, Bazett]"``, ``"[case 1]"``).
        intents: what the question was routed to.
        used_llm: True if the LLM's text is part of ``text``.
        fallback_reason: why the LLM's text was dropped (None if it was kept or not asked for).
        llm_text: what the LLM wrote (kept for inspection even when dropped).
        seconds: time to produce the answer.
    """

    text: str
    citations: list[str]
    intents: list[str]
    used_llm: bool
    fallback_reason: str | None = None
    llm_text: str = ""
    seconds: float = 0.0
    cases: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"answer": self.text, "citations": self.citations, "intents": self.intents,
                "used_llm": self.used_llm, "fallback_reason": self.fallback_reason, "seconds": round(self.seconds, 2)}


def citations_in(text: str) -> list[str]:
    """Bracketed citation tags in ``text``, unique, in order of first use."""
    seen: list[str] = []
    for t in _TAG.findall(text):
        if t not in seen:
            seen.append(t)
    return seen


def valid_tags(ctx: Context) -> set[str]:
    """Every citation tag the context offers."""
    tags = {f.tag for f in ctx.facts} | {s.tag for s in ctx.snippets} | {ctx.case_tag(c) for c in ctx.cases}
    tags |= {f.tag for f in ctx.printed_facts}
    tags |= {f"[finding: {d['code']}]" for d in ctx.findings} | {"[finding: beats]", "[finding: signal quality]"}
    if ctx.measurements.get("long_term"):
        tags.add("[finding: long-term]")
    tags |= {s.tag for s in load_knowledge()}  # grounded replies may cite any knowledge entry
    return tags


def _first_sentences(text: str, n: int = 2) -> str:
    parts = [p.strip() for p in _SENTENCE_END.split(text.strip()) if p.strip()]
    complete = [p for p in parts if p[-1:] in ".!?"]
    return " ".join(complete[:n])


class Assistant:
    """Answers questions about one ECG, with per-conversation history.

    Args:
        llm: an object with ``generate(messages, max_new_tokens) -> Generation`` (the default is the
            process-wide :func:`assistant.llm.get_llm`, loaded on first use); None to answer with the
            deterministic grounded replies only.
    """

    def __init__(self, llm="default"):
        if llm == "default":
            from .llm import get_llm

            llm = get_llm()
        self.llm = llm
        #: the conversation so far, as langchain-core messages (question, answer, ...)
        self.history: list[BaseMessage] = []
        #: what the last question that was routed somewhere asked about, for a follow-up question
        #: that names only leads or starts as a continuation ("and in V5?", :func:`router.follows_up`)
        self.last_intents: list[str] = []

    def build_context(self, question: str, intents: list[str], measurements: dict, findings: list[dict],
                      cases: list[dict], sex: str | None, source: str, lead_quality: dict | None = None,
                      printed: dict | None = None, page_flags: list | None = None) -> Context:
        prefer = tuple(k for i in intents for k in KNOWLEDGE_FOR_INTENT.get(i, ()))
        topics = not_assessed(question)
        snippets = find_snippets(question, k=3, prefer=prefer)
        if lead_quality is None:
            lead_quality = merge_lead_quality(measurements)
        return Context(measurements=measurements, findings=findings, cases=cases if "similar_cases" in intents
                       or "summary" in intents else cases[:3], snippets=snippets, sex=sex, source=source,
                       lead_quality=lead_quality, printed=dict(printed or {}), page_flags=list(page_flags or []),
                       intents=list(intents), topics=topics,
                       leads_asked=list(dict.fromkeys(leads_named(question) + [ld for u in topics for ld in u.leads])))

    def answer(self, question: str, measurements: dict, findings: list[dict] | None = None,
               cases: list[dict] | None = None, sex: str | None = None, source: str = "signal",
               max_new_tokens: int = 80, lead_quality: dict | None = None, printed: dict | None = None,
               page_flags: list | None = None) -> Answer:
        """Answer ``question`` about the ECG whose ``Measurements.to_dict()`` is ``measurements``.

        Args:
            question: the user's question (non-empty).
            measurements: measurement dict (see :func:`ecg.measure.measure`).
            findings: finding dicts (defaults to ``measurements["findings"]``).
            cases: similar-case dicts (``Case.to_dict()``), most similar first.
            sex: "M"/"F" if known, for sex-specific QTc limits.
            source: "signal" or "image".
            lead_quality: lead -> :class:`assistant.hedging.LeadQuality` (for an image, merged with
                the digitizer's trace quality by :func:`assistant.hedging.merge_lead_quality`);
                computed from ``measurements`` if None. Answers resting on low-quality leads say
                so, and decline when too few good leads remain.
            printed: machine measurements printed on a digitized page
                (``meta["digitization"]["header_measurements"]``); answers compare ours with them.
            page_flags: a digitized page's flags (``meta["digitization"]["page_flags"]``); answers
                about the values they put in doubt say so.

        Raises:
            ValueError: empty question.
        """
        question = (question or "").strip()
        if not question:
            raise ValueError("The question is empty; ask about the rate, rhythm, intervals, axis or similar cases.")
        t0 = time.perf_counter()
        intents = route(question)
        if intents == ["general"] and self.last_intents and follows_up(question):
            # "and in V5?" after "what is the ST level in V1?": the same question about what it names
            intents = list(self.last_intents)
        elif intents != ["general"]:
            self.last_intents = list(intents)
        ctx = self.build_context(question, intents, measurements,
                                 findings if findings is not None else measurements.get("findings") or [],
                                 cases or [], sex, source, lead_quality, printed, page_flags)
        grounded = grounded_reply(intents, ctx)
        # the knowledge the grounded reply cites is part of the context the model sees
        cited = set(citations_in(grounded))
        ctx.snippets += [s for s in load_knowledge() if s.tag in cited and s not in ctx.snippets]
        used_llm, reason, llm_text = False, None, ""
        text = grounded
        if self.llm is not None:
            llm_text = self._continue(ctx, question, grounded, max_new_tokens)
            candidate = (grounded + " " + llm_text).strip() if llm_text else grounded
            withheld = declined(intents, ctx)
            stated = [i for i in intents if i not in withheld]
            required = {k: f.value for k in
                        (key for i in stated for key in REQUIRED_FACTS.get(i, ())) if (f := ctx.fact(k))}
            prompt = self.prompt_text(ctx)
            verdict = verify(candidate, prompt, question, valid_tags(ctx), required)
            problems = check_explanation(llm_text.replace(CONTINUATION_CUE, "", 1), prompt + " " + question,
                                         grounded) if llm_text else []
            if verdict.ok and llm_text and not problems:
                text, used_llm = candidate, True
            elif not verdict.ok:
                reason = verdict.reason
            else:
                reason = "; ".join(problems) or "the model added nothing usable"
        self.history += [HumanMessage(question), AIMessage(text)]
        final = text + "\n\n" + OVERREAD
        return Answer(text=final, citations=citations_in(text), intents=intents, used_llm=used_llm,
                      fallback_reason=reason, llm_text=llm_text, seconds=time.perf_counter() - t0,
                      cases=ctx.cases)

    def prompt_text(self, ctx: Context) -> str:
        """Everything the model is shown besides the question: the system text with the context."""
        return SYSTEM.format(context=ctx.render())

    def messages(self, ctx: Context, question: str) -> list[dict]:
        """The chat messages for the model, from the langchain-core prompt template."""
        # the last HISTORY_TURNS question/answer pairs, starting on a question
        hist = trim_messages(self.history, max_tokens=2 * HISTORY_TURNS, token_counter=len, strategy="last",
                             start_on="human")
        msgs = PROMPT.format_messages(context=ctx.render(), history=hist, question=question)
        role = {"system": "system", "human": "user", "ai": "assistant"}
        return [{"role": role[m.type], "content": m.content} for m in msgs]

    def _continue(self, ctx: Context, question: str, grounded: str, max_new_tokens: int) -> str:
        """The LLM's continuation after the grounded statement: at most two complete sentences."""
        msgs = self.messages(ctx, question)
        plain = re.sub(r"\s+", " ", _TAG.sub("", grounded)).replace(" .", ".").strip()
        gen = self.llm.generate(msgs, max_new_tokens=max_new_tokens, prefix=plain + "\n\n" + CONTINUATION_CUE)
        text = _first_sentences(CONTINUATION_CUE + " " + gen.text.lstrip())
        # a repetition of what the grounded reply already says adds nothing
        known = plain.lower()
        kept = [s for s in _SENTENCE_END.split(text) if s and s.lower().rstrip(".") not in known]
        return " ".join(kept)
