"""The scorer on a small bank written for these tests: languages, copying the prompt, choice questions."""

from __future__ import annotations

import pytest

from quiz.review.rating import Rating
from quiz.review.scorer import score_answer, score_choice, suggest_rating


@pytest.fixture(scope="module")
def accel(review_bank):
    return review_bank.by_id["test.hw-accel"]


@pytest.mark.parametrize(
    "answer",
    [
        "GPU 有成千上万个核心，可以并行计算，所以吞吐量大；同时延迟降低了，能做实时推理。",
        "GPUs have thousands of cores working in parallel, so throughput goes up, and latency is reduced enough "
        "for real-time inference.",
        "GPU 能 parallel 地算，throughput 很高，latency 也降低了。",
        "ＧＰＵ　有大量核心，并行计算；吞吐量高，延迟减少。",  # full-width letters and spaces
    ],
)
def test_a_complete_answer_covers_every_point_in_any_language(accel, answer):
    result = score_answer(accel, answer)
    assert result.covered == ("throughput", "latency", "parallel-hw") and result.missed == ()
    assert result.score == 1.0 and result.suggested_rating == Rating.EASY


def test_a_partial_answer_gets_the_points_it_makes(accel):
    result = score_answer(accel, "主要是吞吐量上去了，一次能处理更多数据。")
    assert result.covered == ("throughput",) and result.missed == ("latency", "parallel-hw")
    assert 0.3 <= result.score < 0.6 and result.suggested_rating == Rating.HARD


def test_a_point_needs_as_many_concepts_as_it_requires(accel):
    only_latency_word = score_answer(accel, "It is all about latency, I think, in the end.")
    assert "latency" not in only_latency_word.covered  # latency needs a second concept (reduced / real-time)
    assert 0 < only_latency_word.score < 1 / 3  # partial credit, less than a covered point


@pytest.mark.parametrize(
    "answer",
    [
        "硬件加速可以提高 AI 技术的速度，因为硬件加速让 AI 技术更快，速度提高了。",
        "Hardware acceleration makes AI faster because hardware acceleration makes AI fast.",
    ],
)
def test_repeating_the_question_scores_nothing(accel, answer):
    result = score_answer(accel, answer)
    assert result.covered == () and result.score == 0.0 and result.suggested_rating == Rating.AGAIN


def test_words_of_the_prompt_do_not_count_but_the_answers_own_words_do(review_bank):
    question = review_bank.by_id["test.open-source"]
    parrot = score_answer(question, "开源深度学习框架有助于降低 AI 技术的成本，因为它是开源的。")
    assert parrot.covered == ()
    own = score_answer(question, "开源深度学习框架有助于降低成本：框架本身免费，还有现成的预训练模型。")
    assert own.covered == ("free", "pretrained")


@pytest.mark.parametrize(
    "answer",
    [
        "我不知道。",
        "",
        "   ",
        "吞吐量",
        "Transformers use self-attention to model long sequences.",
        "开源框架免费，而且社区很活跃。",  # a good answer to another question
    ],
)
def test_off_topic_empty_or_one_word_answers_score_low(accel, answer):
    result = score_answer(accel, answer)
    assert result.covered == () and result.score < 0.2 and result.wrong == ()


def test_choice_questions_score_the_chosen_options(review_bank):
    both = review_bank.by_id["test.pick"]
    assert score_choice(both, ["a", "c"]).score == 1.0
    assert score_choice(both, ["C", " a "]).covered == ("a", "c")
    half = score_choice(both, ["a"])
    assert half.score == 0.5 and half.covered == ("a",) and half.missed == ("c",)
    assert score_choice(both, ["a", "b"]).score == 0.0  # a wrong pick cancels a right one
    assert score_choice(both, ["B", "a"]).wrong == ("b",) and score_choice(both, ["c", "a"]).wrong == ()
    single = review_bank.by_id["test.single"]
    assert score_choice(single, ["a"]).suggested_rating == Rating.GOOD
    assert score_choice(single, ["a", "b"]).score == 0.0 and score_choice(single, []).suggested_rating == Rating.AGAIN


def test_suggested_ratings_follow_the_score():
    assert [suggest_rating(s) for s in (0.0, 0.29, 0.3, 0.59, 0.6, 0.99, 1.0)] == [
        Rating.AGAIN,
        Rating.AGAIN,
        Rating.HARD,
        Rating.HARD,
        Rating.GOOD,
        Rating.GOOD,
        Rating.EASY,
    ]


def test_pasting_the_code_under_review_earns_nothing_but_naming_its_identifiers_does(review_bank):
    question = review_bank.by_id["test.pipeline"]
    pasted = score_answer(
        question, "问题在这里：\nds = ds.prefetch(tf.data.AUTOTUNE)\nds = ds.map(decode_and_resize)\n顺序不对。"
    )
    assert pasted.covered == () and pasted.score == 0.0
    fixed = score_answer(
        question,
        "prefetch should come last, and the map needs num_parallel_calls=tf.data.AUTOTUNE:\n"
        "ds = ds.map(decode_and_resize, num_parallel_calls=tf.data.AUTOTUNE)",
    )
    assert fixed.covered == ("prefetch-last", "parallel-map")


# --- What the answer says of a term: negation, lists, contradiction ---------------------------------------------


@pytest.fixture(scope="module")
def open_source(review_bank):
    return review_bank.by_id["test.open-source"]


@pytest.mark.parametrize(
    "answer",
    [
        "开源框架并不免费，也没什么社区，预训练模型用不上。",
        "开源框架不是免费的，没有社区支持，也没有预训练模型。",
        "Frameworks are not free, and there is no community and no pre-trained model to reuse.",
        "They aren't free, there isn't any forum, and you never get pretrained weights.",
    ],
)
def test_an_answer_that_denies_the_points_covers_none(open_source, answer):
    result = score_answer(open_source, answer)
    assert result.covered == () and result.score <= 0.3


@pytest.mark.parametrize(
    "answer, covered",
    [
        ("并非不免费，社区也很活跃。", ("free", "community")),  # double negation asserts
        ("It's not that they aren't free: they are, and the community is large.", ("free", "community")),
        ("不是免费，而是社区大。", ("community",)),  # the negation stops at its clause
        ("不仅免费，而且社区很活跃。", ("free", "community")),  # 不仅 is no negation
        ("Not only free, the community is huge too.", ("free", "community")),
        ("不需要付费就能用，还有现成的模型可以直接拿来做迁移。", ("free", "pretrained")),  # self-negating term
        ("You don't need a licence to use them, and there is a forum for every question.", ("free", "community")),
        ("免费，而且有预训练模型可以直接用。", ("free", "pretrained")),  # a terse statement, not a list
        ("They cost nothing because the frameworks are free.", ("free",)),  # "because" starts a clause of its own
        ("GPU 快不是因为社区大，而是因为免费。", ("free",)),  # but "不是因为" carries its negation into it
    ],
)
def test_negation_is_read_per_clause(open_source, answer, covered):
    assert score_answer(open_source, answer).covered == covered


@pytest.mark.parametrize(
    "answer",
    [
        "免费、预训练模型、社区",
        "免费，预训练，社区，论坛",
        "free, pre-trained models, community, forum",
        "关键词：免费、预训练、社区、论坛",
    ],
)
def test_a_bare_list_of_terms_covers_nothing(open_source, answer):
    result = score_answer(open_source, answer)
    assert result.covered == () and result.score == 0.0


@pytest.mark.parametrize(
    "answer",
    [
        "开源框架其实要收费，不过社区很活跃。",
        "They are not free, you have to pay for a licence, but the community is big.",
    ],
)
def test_stating_a_misconception_marks_the_point_wrong_and_costs_more_than_missing_it(open_source, answer):
    result = score_answer(open_source, answer)
    assert result.contradicted == ("free",) and "free" not in result.missed + result.covered
    assert result.covered == ("community",)
    only_community = score_answer(open_source, "The community is big and helpful.")
    assert result.score < only_community.score


@pytest.mark.parametrize(
    "answer",
    [
        "有人以为开源框架要收费，其实不对，它们免费，社区也大。",
        "Some people think you have to pay for a licence; that's wrong: they are free.",
        "它们不是要收费的，而是免费的。",
    ],
)
def test_a_misconception_reported_only_to_reject_it_is_not_held_against_the_answer(open_source, answer):
    result = score_answer(open_source, answer)
    assert result.contradicted == () and "free" in result.covered


@pytest.mark.parametrize(
    "answer",
    [
        "用了 preprocess_input 之后 Rescaling 就是多余的，要删掉。",
        "With preprocess_input the Rescaling layer is redundant, drop it.",
        "换成 preprocess_input，再留着 Rescaling 就是多此一举。",
    ],
)
def test_a_code_review_that_calls_the_codes_mistake_redundant_keeps_the_fix_it_names(packaged_bank, answer):
    """Round 6 tried "redundant" and 多余 as dismissals and dropped them: in a review they name the mistake."""
    question = packaged_bank.by_id["transfer-learning.preprocess-input"]
    assert "use-preprocess-input" in score_answer(question, answer).covered


def test_in_a_code_review_naming_what_is_missing_is_the_point_but_dismissing_it_is_not(review_bank):
    question = review_bank.by_id["test.pipeline"]
    named = score_answer(question, "map 没有设置 num_parallel_calls，是串行解码的；prefetch 应该放在最后。")
    assert named.covered == ("prefetch-last", "parallel-map")
    dismissed = score_answer(question, "prefetch 放在最后，map 不需要 num_parallel_calls，串行就够了。")
    assert dismissed.covered == ("prefetch-last",) and "parallel-map" in dismissed.missed
    advised_against = score_answer(question, "prefetch 放在最后，map 的 num_parallel_calls 不建议开，串行就够了。")
    assert advised_against.covered == ("prefetch-last",)  # round 6: 不建议开, 最好别用 dismiss in a review too
    terse = score_answer(question, "prefetch 放在最后。num_parallel_calls 不建议开。串行就够了。")
    assert terse.covered == ("prefetch-last",)  # three short sentences, each saying something: not a keyword list
    wrong = score_answer(question, "prefetch first is right, and a serial map is fine here.")
    assert set(wrong.contradicted) == {"prefetch-last", "parallel-map"} and wrong.score == 0.0


@pytest.mark.parametrize(
    "answer, covered, contradicted",
    [
        # "fine", 没问题, 无所谓 deny a point, but said of a misconception they state it (round 7)
        ("prefetch first is fine, and the map needs num_parallel_calls.", ("parallel-map",), ("prefetch-last",)),
        ("prefetch 放在最前面也没问题，map 要加 num_parallel_calls。", ("parallel-map",), ("prefetch-last",)),
        ("num_parallel_calls 设不设都无所谓，prefetch 放在最后。", ("prefetch-last",), ()),
        ("prefetch goes last; num_parallel_calls doesn't matter here.", ("prefetch-last",), ()),
        # a misconception that calls a thing harmless ("serial map is fine") is stated in any harmless words
        ("prefetch goes last, and a serial map doesn't matter here.", ("prefetch-last",), ("parallel-map",)),
        ("map 用 num_parallel_calls, and the prefetch position is no big deal.", ("parallel-map",), ("prefetch-last",)),
    ],
)
def test_calling_a_thing_harmless_denies_a_point_but_states_a_misconception(review_bank, answer, covered, contradicted):
    result = score_answer(review_bank.by_id["test.pipeline"], answer)
    assert (result.covered, result.contradicted) == (covered, contradicted)


@pytest.mark.parametrize(
    "answer",
    [
        "开源框架是免费的，不过社区那边去提问其实没多大帮助。",  # a dismissal with a degree word
        "开源框架是免费的，社区那块我觉得去逛不划算。",  # at the clause's end it bears on the clause's topic
    ],
)
def test_a_dismissal_that_ends_its_clause_bears_on_the_clauses_topic(open_source, answer):
    """In Chinese, up to TOPIC_REACH words back; the harmless words far along a clause are about what is near
    them (test_a_harmless_word_far_along_its_clause_is_about_what_is_near_it)."""
    assert score_answer(open_source, answer).covered == ("free",)


@pytest.mark.parametrize(
    "answer, covered",
    [
        # a substitute recommends what comes before it and denies only what follows
        (
            "Pick the free frameworks instead of commercial ones; the community answers questions too.",
            ("free", "community"),
        ),
        ("选免费的框架而不是商业软件，社区也很活跃。", ("free", "community")),
        ("用现成的预训练模型代替从头训练。", ("pretrained",)),
        # dismissed at the end of the clause, however many words back its subject is
        ("免费那些都是噱头，不过社区很活跃。", ("community",)),
        ("Being free is overrated; the community is what matters.", ("community",)),
        # a negation typed without its apostrophe (round 6)
        ("The frameworks arent free, but the community is big.", ("community",)),
    ],
)
def test_what_an_answer_recommends_or_dismisses(open_source, answer, covered):
    assert score_answer(open_source, answer).covered == covered


@pytest.mark.parametrize(
    "answer",
    [
        "It's not because you have to pay for a licence that they help: the community is big.",  # a reason denied
        "不是因为要买许可证，而是社区很大。",
        "If you had to pay for a licence it would cost more; the community is big.",  # a hypothesis
        "如果要收费的话成本就高了，社区也很大。",
    ],
)
def test_a_misconception_named_as_a_hypothesis_or_a_denied_reason_is_not_held_against_the_answer(open_source, answer):
    result = score_answer(open_source, answer)
    assert result.contradicted == () and "community" in result.covered


def test_each_verdict_quotes_the_words_of_the_answer_it_rests_on(open_source):
    result = score_answer(open_source, "开源框架其实要收费，不过社区很活跃。")
    assert dict(result.evidence) == {"free": "开源框架其实要收费", "community": "不过社区很活跃"}  # as written
    assert result.evidence_of("pretrained") is None  # a missed point rests on nothing
    answer = (
        "Honestly, to be fair to everyone involved in building them over many years the frameworks are free of "
        "charge for anyone who wants them"
    )
    quoted = score_answer(open_source, answer).evidence_of("free")
    assert quoted.startswith("…") and quoted.endswith("…") and "free" in quoted  # one long clause, cut around it
    assert len(quoted) <= 42 and quoted.strip("…") in answer
    assert all(word in answer.split() for word in quoted.strip("…").split())  # never half a word


def test_evidence_is_quoted_as_written(open_source, accel):
    # read as "GPU", "fi" and "......", quoted as typed
    assert score_answer(accel, "ＧＰＵ 并行计算，吞吐量高。").evidence_of("parallel-hw") == "ＧＰＵ 并行计算"
    assert score_answer(open_source, "ﬁrst, the frameworks are free").evidence_of("free") == "the frameworks are free"
    assert score_answer(open_source, "开源框架……是免费的，社区很大").evidence_of("free") == "开源框架……是免费的"
    # where normalising merged characters (e and a combining accent), as normalised
    assert (
        score_answer(open_source, "e\u0301 the frameworks are free").evidence_of("free")
        == "\u00e9 the frameworks are free"
    )


def test_a_long_clause_is_cut_around_the_match_never_inside_a_word(open_source):
    chinese = "我们团队这几年一直在用这些开源框架做各种项目都是完全免费地拿来改源码再部署上线效果也很好真的省了很多"
    quoted = score_answer(open_source, chinese).evidence_of("free")
    assert quoted.startswith("…") and "免费" in quoted and 30 <= len(quoted) <= 41  # not the bare match
    english = "Honestly the open-source frameworks that everyone's using nowadays are free of charge for all of us"
    quoted = score_answer(open_source, english).evidence_of("free")
    assert "free" in quoted and all(word in english.split() for word in quoted.strip("…").split())


@pytest.mark.parametrize(
    "question, answer, point",
    [
        # correct answers typed without punctuation, a harmless word at the end about something else (review)
        (
            "data-pipeline.order-review",
            "cache 放最后会把随机增强冻结住要把 cache 挪到增强前面就没问题了",
            "cache-placement",
        ),
        ("mixed-precision.policy-order", "顺序反了把 set_global_policy 挪到建模型之前就没问题了", "fix-order"),
        ("speed.hardware-acceleration", "高带宽显存让数据传输不再是瓶颈整体计算速度也就没问题了", "data-transfer"),
        ("multi-worker.loss-scaling", "reduce_mean 只按本地 batch 求平均要除以全局 batch 才没问题", "per-replica-mean"),
        ("cost.cloud-training-cost", "开 mixed precision 训练能快一倍精度也基本没影响", "faster"),
        (
            "data-pipeline.order-review",
            "Putting the prefetch step right at the very end of the whole input pipeline makes slow decoding no big "
            "deal",
            "prefetch-last",
        ),
    ],
)
def test_a_harmless_word_far_along_its_clause_is_about_what_is_near_it(packaged_bank, question, answer, point):
    result = score_answer(packaged_bank.by_id[question], answer)
    assert point in result.covered and not result.contradicted, (result.covered, result.contradicted)


@pytest.mark.parametrize(
    "answer",
    ["cache 放最后没问题吗？不是的，cache 要放在增强之前。", "Is cache at the end fine? No: cache before the flips."],
)
def test_a_harmless_word_in_a_question_states_nothing(packaged_bank, answer):
    assert score_answer(packaged_bank.by_id["data-pipeline.order-review"], answer).contradicted == ()


@pytest.mark.parametrize(
    "answer",
    [
        "开源框架免费这一点被夸大了，社区倒是很大。",  # disparaging what was claimed denies it (round 8)
        "所谓免费是假的，社区倒是很大。",
        "Being free is misleading, but the community is big.",
    ],
)
def test_disparaging_a_claim_denies_it(open_source, answer):
    assert score_answer(open_source, answer).covered == ("community",)


def test_a_long_list_with_one_longer_item_is_still_a_list(packaged_bank):
    """One item in LONG_ITEMS may run longer than ITEM_WORDS: "HBM 高带宽显存" in a list of nine."""
    answer = "GPU、TPU、Tensor Core、CUDA 核心、HBM 高带宽显存、吞吐量、延迟、FPGA、ASIC"
    assert score_answer(packaged_bank.by_id["speed.hardware-acceleration"], answer).covered == ()


@pytest.mark.parametrize(
    "answer, covered",
    [
        ("所谓“免费”只是表面上的，社区倒是很大。", ("community",)),  # named only to be questioned (round 9)
        ("The so-called free framework costs you in support contracts; the community is big, though.", ("community",)),
        ("省钱的原因，这是所谓的迁移学习。", ("pretrained",)),  # 是所谓 introduces a name
    ],
)
def test_a_claim_named_only_to_be_questioned_is_not_made(packaged_bank, answer, covered):
    assert score_answer(packaged_bank.by_id["cost.open-source-frameworks"], answer).covered == covered


@pytest.mark.parametrize(
    "answer",
    [
        "I don't think it recompiles for each batch, XLA compiles the function once.",
        "I doubt it recompiles for each batch; XLA compiles the function once.",
    ],
)
def test_in_a_code_review_doubting_the_bug_denies_it(packaged_bank, answer):
    """ "map 没有 num_parallel_calls" names a bug; "I don't think it recompiles" denies one (round 9)."""
    assert score_answer(packaged_bank.by_id["xla.shape-recompilation"], answer).covered == ()


@pytest.mark.parametrize(
    "answer, contradicted",
    [
        ("softmax 在 float16 里算，exp 就溢出成 inf，loss 变成 NaN。", ("numerics",)),
        ("The softmax runs in float16, so the exp overflows to inf and you get NaN losses.", ("numerics",)),
        # two negations side by side each deny their own item, they do not cancel
        ("float16 的问题是精度：小概率被舍入成 0。这并不是溢出、也不是出现 NaN。", ()),
        ("It isn't an overflow or a NaN problem: tiny probabilities round to 0 and the loss saturates.", ()),
    ],
)
def test_a_float16_softmax_loses_precision_and_does_not_overflow(packaged_bank, answer, contradicted):
    """tf.nn.softmax subtracts the maximum, Keras's losses cast to float32 and clip (issue 19's facts): saying the
    softmax overflows into NaN is the misconception, saying it loses precision is the point."""
    result = score_answer(packaged_bank.by_id["mixed-precision.float32-output"], answer)
    assert result.contradicted == contradicted
    assert ("numerics" in result.covered) == (not contradicted)


@pytest.mark.parametrize(
    "answer",
    ["prefetch 放在最前面其实是对的，cache 放最后最好。", "prefetch 放在最前面其实是对的。cache 放最后最好。"],
)
def test_words_that_state_a_misconception_make_no_other_point(packaged_bank, answer):
    """最后 is in the cache's misconception: it does not make "prefetch belongs at the end" (round 9)."""
    result = score_answer(packaged_bank.by_id["data-pipeline.order-review"], answer)
    assert result.contradicted == ("cache-placement",) and result.covered == ()


@pytest.mark.parametrize(
    "answer",
    [
        "XLA 这里不会重复编译。",
        "XLA doesn't recompile here: every batch gets the same shape.",
        "It won't recompile, the batches don't really differ in shape.",
    ],
)
def test_a_code_review_point_the_bug_makes_happen_is_denied_by_a_plain_negation(packaged_bank, answer):
    """recompile and varying-shapes carry negation_denies; "map 没有 num_parallel_calls" still names a bug
    (test_in_a_code_review_naming_what_is_missing_is_the_point_but_dismissing_it_is_not)."""
    result = score_answer(packaged_bank.by_id["xla.shape-recompilation"], answer)
    assert {"recompile", "varying-shapes"}.isdisjoint(result.covered)


def test_a_code_review_still_names_a_bug_by_what_is_missing(packaged_bank):
    result = score_answer(
        packaged_bank.by_id["data-pipeline.order-review"], "map 没有设 num_parallel_calls，是串行的。"
    )
    assert result.covered == ("parallel-map",)


@pytest.mark.parametrize(
    "answer, covered",
    [
        ("门槛降了吗？没有，中小企业照样用不起。", ()),  # a yes-no question asks, and asserts nothing (round 10)
        ("Is AI now affordable for startups? Hardly. Does it bring innovation? I see none.", ()),
        ("门槛降低了，中小企业也能参与进来。", ("barrier",)),
    ],
)
def test_a_yes_no_question_asserts_nothing(packaged_bank, answer, covered):
    assert score_answer(packaged_bank.by_id["summary.industry-impact"], answer).covered == covered


@pytest.mark.parametrize(
    "answer, makes_it",
    [
        ("Replace the Rescaling layer with tf.keras.applications.resnet50.preprocess_input.", True),
        ("The mismatch is in how the inputs are preprocessed compared with pre-training.", False),
    ],
)
def test_an_identifier_is_one_word_as_written(packaged_bank, answer, makes_it):
    """preprocess_input is one unit (round 10): "inputs are preprocessed" no longer says "use preprocess_input"."""
    result = score_answer(packaged_bank.by_id["transfer-learning.preprocess-input"], answer)
    assert ("use-preprocess-input" in result.covered) == makes_it


@pytest.mark.parametrize(
    "answer, covered",
    [
        ("说是促进创新，我看大多是换个壳子。", ()),  # hearsay names a claim only to doubt it (round 10)
        ("成本降下来以后，可以说是促进了创新。", ("innovation",)),  # 可以说是 says it
    ],
)
def test_hearsay_is_not_a_claim_but_a_way_of_putting_it_is(packaged_bank, answer, covered):
    assert score_answer(packaged_bank.by_id["summary.industry-impact"], answer).covered == covered


def test_a_dismissal_bears_on_the_rest_of_its_clause(packaged_bank):
    """ "没必要" dismisses the whole "去 nvidia-smi 看有没有别的进程", not only the next five words (round 11)."""
    answer = "也没必要去 nvidia-smi 看有没有别的进程，一张卡同时只会给一个进程用。"
    assert "other-processes" not in score_answer(packaged_bank.by_id["gpu.out-of-memory"], answer).covered


@pytest.mark.parametrize(
    "question, answer, point",
    [
        ("transfer-learning.resnet50-head-review", "另外我不建议冻结 base model，全部一起训效果更好。", "freeze"),
        ("transfer-learning.preprocess-input", "输入也不一定非要和预训练时的处理方式一致。", "distribution"),
    ],
)
def test_advising_against_a_point_denies_it(packaged_bank, question, answer, point):
    """不建议 and 不一定非要 dismiss what follows (round 12), in a code review too. ("I would avoid" did too, until
    the review found it dismissing the remedy: "avoid the recompiles by padding to a fixed length".)"""
    assert point not in score_answer(packaged_bank.by_id[question], answer).covered


def test_a_fenced_fix_after_the_review_is_code_not_a_keyword_list(packaged_bank):
    """Round 13: the snippet's short lines made the whole answer read as a list, and a perfect review scored 0."""
    answer = (
        "- `prefetch` is first. Nothing overlaps with training there. Move it to the end.\n"
        "- `map` runs on one thread. Set `num_parallel_calls=tf.data.AUTOTUNE`.\n"
        "- `shuffle` after `batch` only reorders whole batches. Shuffle before `batch`.\n"
        "- `cache` is last, after the random flip: the flips are replayed every epoch. Cache before augmentation.\n\n"
        "```python\ndef load(path, label):\n"
        "    image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)\n"
        "    return tf.image.resize(image, (224, 224)), label\n\n"
        "def augment(image, label):\n    return tf.image.random_flip_left_right(image), label\n\n"
        "ds = (tf.data.Dataset.from_tensor_slices((paths, labels))\n"
        "      .map(load, num_parallel_calls=tf.data.AUTOTUNE)\n      .cache()\n      .shuffle(1000)\n"
        "      .map(augment, num_parallel_calls=tf.data.AUTOTUNE)\n      .batch(64)\n"
        "      .prefetch(tf.data.AUTOTUNE))\n```\nNote: use `cache(filename)` if they do not fit.\n"
    )
    assert score_answer(packaged_bank.by_id["data-pipeline.order-review"], answer).score == 1.0


def test_small_characters_inside_nouns_do_not_make_a_list_say_something(packaged_bank):
    """中小企业 and 大概 hold 小 and 大, predicates elsewhere ("社区大"); a list of them is still a list."""
    answer = (
        "嗯……硬件降价的话，那就是，中小企业、个人开发者、算力、GPU、更大的模型、研发迭代、创新、产业升级、"
        "用户体验……对，大概这些方面。"
    )
    assert score_answer(packaged_bank.by_id["cost.hardware-prices"], answer).covered == ()


@pytest.mark.parametrize("answer", ["我不觉得要用 bucket 分桶。", "我不认为要用 bucket 分桶。"])
def test_in_a_code_review_not_thinking_a_fix_is_needed_dismisses_it(packaged_bank, answer):
    """不觉得 / 不认为 dismiss (round 9): fixed-padding has no negation_denies, so a plain negation would not."""
    assert score_answer(packaged_bank.by_id["xla.shape-recompilation"], answer).covered == ()


@pytest.mark.parametrize(
    "question, answer, point",
    [
        ("data-pipeline.order-review", "cache 放在最后更好吗？不是，cache 要放在随机增强之前。", "cache-placement"),
        ("summary.industry-impact", "门槛更高了吗？没有，中小企业也用得起了。", "barrier"),
    ],
)
def test_a_misconception_asked_is_not_stated(packaged_bank, question, answer, point):
    """A yes-no question asserts nothing, a misconception no more than a point (the review of round 13)."""
    assert point not in score_answer(packaged_bank.by_id[question], answer).contradicted


@pytest.mark.parametrize(
    "question, answer, point",
    [
        (
            "gpu.out-of-memory",
            "显存不够时，不需要重启整台机器、重新安装驱动、开混合精度就能省一半显存。",
            "mixed-precision",
        ),
        ("xla.shape-recompilation", "每个 batch 的长度不一样，XLA 重新编译没法避免，所以更慢。", "recompile"),
        ("cost.open-source-frameworks", "据说要钱但其实免费，社区也很大。", "free"),
        (
            "cost.open-source-frameworks",
            "So-called experts call it expensive but it is free, and the community is big.",
            "free",
        ),
        (
            "gpu.out-of-memory",
            "Turn on tf.keras.mixed_precision so activations take half the memory.",
            "mixed-precision",
        ),
        (
            "transfer-learning.preprocess-input",
            "The fix is preprocess_input's caffe-style scaling.",
            "use-preprocess-input",
        ),
        ("summary.industry-impact", "这些数据说明训练更快了。", "acceleration"),
    ],
)
def test_a_reading_reaches_no_further_than_it_should(packaged_bank, question, answer, point):
    """The review of rounds 9-13: a dismissal stops at its list item, negation_denies adds no open-question reading
    of what follows, a doubt stays in its clause, 数据说明 is no hearsay, an identifier says its phrase."""
    assert point in score_answer(packaged_bank.by_id[question], answer).covered


@pytest.mark.parametrize(
    "answer",
    [
        "所谓“不用花钱”只是表面上的，社区倒是很大。",  # a synonym carrying its own negation is doubted too
        "```text\nfree, community, pretrained models, sharing, iteration, tutorials\n```",  # a fenced list
    ],
)
def test_a_doubted_or_fenced_claim_makes_no_point(packaged_bank, answer):
    result = score_answer(packaged_bank.by_id["cost.open-source-frameworks"], answer)
    assert {"free", "pretrained"}.isdisjoint(result.covered)


def test_a_reference_to_a_code_identifier_is_not_the_fix(packaged_bank):
    """GLOBAL_BATCH is in the code: naming it is not "divide by the global batch" (an identifier of the question's
    code counts no more than the prompt's words)."""
    answer = "With 2 replicas, GLOBAL_BATCH = 64 x 2 = 128, so each replica gets 64 examples."
    assert (
        "compute-average-loss" not in score_answer(packaged_bank.by_id["distributed.custom-loop-loss"], answer).covered
    )
