"""The app's own words in both languages. Question text comes from the bank; this is only the frame around it.

Key bindings are declared with English descriptions and tooltips (Textual's command palette shows those); the
footer and the help screen show them in the current language through `tr_binding`.
"""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "title": ("quiz · AI 工程面试练习", "quiz · AI engineering interview practice"),
    "deck": ("题组", "Deck"),
    "topic": ("主题", "Topic"),
    "questions": ("题数", "Questions"),
    "due": ("待复习", "Due"),
    "unseen": ("未学", "Unseen"),
    "home.summary": (
        "共 {questions} 题 · 待复习 {due} · 今日新卡 {new}（未学 {unseen}）· 本周到期 {week}",
        "{questions} questions · {due} due · {new} new today (of {unseen} unseen) · {week} due this week",
    ),
    "home.summary.loading": ("共 {questions} 题 · 正在读取进度…", "{questions} questions · loading progress…"),
    "mode.practice": ("练习", "Practice"),
    "mode.drill": ("复习", "Drill"),
    "mode.mock": ("模拟面试", "Mock interview"),
    "mode.exercises": ("编程练习", "Exercises"),
    "mode.stats": ("统计", "Stats"),
    "setup.decks": ("题组（不选即全部）", "Decks (none = all)"),
    "setup.topics": ("主题（不选即全部）", "Topics (none = all)"),
    "setup.tags": ("标签（不选即全部）", "Tags (none = all)"),
    "setup.types": ("题型（不选即全部）", "Types (none = all)"),
    "setup.count": ("题数", "Count"),
    "setup.shuffle": ("打乱顺序", "Shuffle"),
    "setup.start": ("开始", "Start"),
    "setup.matching": ("符合条件：{n} 题", "{n} matching questions"),
    "setup.none": ("没有符合条件的题目", "No question matches"),
    "drill.empty": ("现在没有到期的卡片，今天的新卡也已学完", "Nothing is due now, and today's new cards are done"),
    "setup.mock": (
        "随机抽取 N 题，每题计时，结束后给出报告。",
        "N random questions, timed one by one, with a report at the end.",
    ),
    "setup.budget": ("每题建议用时（秒）", "Seconds per question"),
    "difficulty.easy": ("简单", "easy"),
    "difficulty.medium": ("中等", "medium"),
    "difficulty.hard": ("困难", "hard"),
    "type.open": ("问答", "open"),
    "type.choice": ("选择", "choice"),
    "type.code-review": ("代码评审", "code review"),
    "type.exercise": ("编程", "exercise"),
    # the mode is already in the header bar: this line leaves room for the mock interview's timer
    "q.header": ("{n}/{total} · {topic} · {difficulty} · {type}", "{n}/{total} · {topic} · {difficulty} · {type}"),
    "q.one_language": (
        " · 本题只有{language}（题组只用一种语言）",
        " · this question is in {language} only (its deck is in one language)",
    ),
    "language.zh": ("中文", "Chinese"),
    "language.en": ("英文", "English"),
    "q.answer_here": (
        "在此作答（Ctrl+S 提交，Esc 离开输入框）",
        "Type your answer (Ctrl+S submits, Esc leaves the box)",
    ),
    "q.submit": ("提交", "Submit"),
    "q.reveal": ("显示答案", "Reveal"),
    "q.open_exercise": ("打开编程练习", "Open exercise"),
    "q.choose": ("按 1-9 选择，或用方向键加回车", "Press 1-9, or arrows and Enter"),
    "q.choose_many": ("按 1-9 勾选（可多选），Ctrl+S 提交", "Press 1-9 to tick (several may be right), Ctrl+S submits"),
    "q.timer": ("本题 {q} / {budget} · 总计 {total}", "this question {q} / {budget} · total {total}"),
    "q.empty": (
        "答案为空：写点什么再提交，或按 Esc 离开输入框后按 Space 看答案",
        "Empty answer: write something, or press Esc, then Space to reveal",
    ),
    "app.how_to_quit": (
        "按 Ctrl+Q 退出（没提交的回答会保存下来）",
        "Press Ctrl+Q to quit (an answer you have not submitted is kept)",
    ),
    "app.key_does_nothing": (
        "“{pressed}” 在这一页没有作用：按 ? 查看本页的按键",
        "“{pressed}” does nothing here: ? lists this screen's keys",
    ),
    "q.no_such_option": ("这道题只有 {n} 个选项", "This question has only {n} options"),
    "palette.placeholder": ("搜索命令…", "Search for commands…"),
    "palette.practice": ("选题组、主题和题型练习", "Choose decks, topics and question types to practise"),
    "palette.drill": ("复习到期的卡片和今天的新卡", "The cards due now, then today's new cards"),
    "palette.mock": ("随机抽题、每题计时的模拟面试", "Random questions, each timed, with a report"),
    "palette.exercises": ("运行和提交 TensorFlow 编程练习", "Run and grade the TensorFlow coding exercises"),
    "palette.stats": ("各主题的正确率、复习量和到期卡片", "Accuracy, reviews and cards due, per topic"),
    "palette.lang": ("切换语言 中/EN", "Switch language 中/EN"),
    "palette.lang.help": (
        "题目、答案和界面在中文和英文之间切换",
        "Questions, answers and the app, in Chinese or English",
    ),
    "palette.help": ("本页的按键和用法", "The keys of this screen and how the app works"),
    "palette.quit": ("退出", "Quit"),
    "palette.quit.help": ("立即退出；没提交的回答会保存下来", "Quit now; an answer you have not submitted is kept"),
    "q.draft_restored": ("已恢复你上次没有提交的回答", "Restored the answer you had not submitted"),
    "q.exercise_hint": (
        "这是一道编程题：按 o 打开练习，完成后按 Space 查看答案并自评。",
        "This is a coding exercise: press o to open it, then Space to see the answer and rate yourself.",
    ),
    "r.reference": ("参考答案", "Reference answer"),
    "r.key_points": ("要点", "Key points"),
    "r.your_answer": ("你的回答", "Your answer"),
    "r.your_choices": ("你的选择", "Your choice"),
    "r.options": ("选项", "Options"),
    "r.picked_right": ("你选了：正确", "your pick: right"),
    "r.picked_wrong": ("你选了：错误", "your pick: wrong"),
    "r.not_picked": ("正确，你没有选", "right, not picked"),
    "r.right": ("正确答案", "the right answer"),
    "r.score": ("得分 {score:.0%} · 建议评分：{rating}", "Score {score:.0%} · suggested: {rating}"),
    "r.revealed": ("未作答，直接查看了答案", "Revealed without answering"),
    "r.rate": ("自评（1-4）：", "Rate yourself (1-4):"),
    "r.covered": ("已覆盖", "covered"),
    "r.missed": ("遗漏", "missed"),
    "r.contradicted": ("答错：你的回答说的正相反", "wrong: your answer says the opposite"),
    "r.saved": ("已保存：{rating}，下次 {due}", "Saved: {rating}, next due {due}"),
    "rating.1": ("重来", "Again"),
    "rating.2": ("困难", "Hard"),
    "rating.3": ("良好", "Good"),
    "rating.4": ("简单", "Easy"),
    "undo.done": ("已撤销 {qid} 的评分", "Rating of {qid} undone"),
    "undo.none": ("没有可撤销的评分", "No rating to undo"),
    "undo.elsewhere": ("已撤销 {qid} 的评分（不在本轮中）", "Rating of {qid} undone (not in this session)"),
    "s.title": ("本轮小结", "Session summary"),
    "s.title.mock": ("模拟面试报告", "Mock interview report"),
    "s.question": ("题目", "Question"),
    "s.score": ("得分", "Score"),
    "s.rating": ("自评", "Rating"),
    "s.time": ("用时", "Time"),
    "s.missed": ("遗漏或答错的要点", "Key points missed or wrong"),
    "s.wrong": ("答错", "wrong"),
    "s.none": ("无", "none"),
    "s.totals": (
        "作答 {answered}/{total} · 平均得分 {mean} · 总用时 {time}",
        "Answered {answered}/{total} · mean score {mean} · total time {time}",
    ),
    "s.over_budget": ("超时 {n} 题（每题 {budget}）", "{n} over the {budget} budget"),
    "s.revealed": ("看答案", "revealed"),
    "s.skipped": ("未作答", "skipped"),
    "st.title": ("学习统计", "Statistics"),
    "st.accuracy": ("正确率", "Accuracy"),
    "st.reviews": ("复习次数", "Reviews"),
    "st.due_now": ("当前待复习", "Due now"),
    "st.due_week": ("本周到期", "Due this week"),
    "st.per_day": ("近 30 天每日复习（共 {n} 次）", "Reviews per day, last 30 days ({n} in all)"),
    "st.ahead": ("未来 14 天每日到期（共 {n} 张）", "Cards due per day, next 14 days ({n} in all)"),
    # captions under the sparklines, at their two ends
    "st.days_ago": ("{n} 天前", "{n} days ago"),
    "st.today": ("今天", "today"),
    "st.in_days": ("{n} 天后", "in {n} days"),
    "e.title": ("编程练习", "Exercises"),
    "e.none": ("没有找到编程练习（{path}）", "No exercises found ({path})"),
    "e.workspace": ("工作区：{path}", "Workspace: {path}"),
    "e.not_started": (
        "尚未开始：按 s 把起始代码写入工作区",
        "Not started: press s to write the starter into a workspace",
    ),
    "e.started": ("已写入起始代码：{path}", "Starter written to {path}"),
    "e.kept": ("已有作答，保留不覆盖：{path}", "An attempt exists and was kept: {path}"),
    "e.start": ("开始", "Start"),
    "e.edit": ("编辑", "Edit"),
    "e.run": ("运行测试", "Run tests"),
    "e.reference": ("参考解答", "Reference"),
    "e.test": ("测试", "Test"),
    "status.pass": ("通过", "pass"),
    "status.fail": ("未通过", "fail"),
    "status.error": ("出错", "error"),
    "status.skip": ("跳过", "skip"),
    "status.timeout": ("超时", "timeout"),
    "status.memory": ("超出内存", "memory"),
    "e.status": ("结果", "Status"),
    "e.message": ("说明", "Message"),
    "e.running": ("正在评测…", "Grading…"),
    "e.result": (
        "{status} · 得分 {score:g}/{max_score:g} · {duration:.1f} 秒",
        "{status} · score {score:g}/{max_score:g} · {duration:.1f} s",
    ),
    "e.need_start": ("请先按 s 开始", "Press s to start first"),
    "e.reference_locked": ("运行一次测试后才能查看参考解答", "Run the tests once to unlock the reference"),
    "e.saved": ("已保存 {path}", "Saved {path}"),
    "e.unsaved_quit": (
        "有未保存的修改：Ctrl+S 保存，再按 Ctrl+Q 不保存直接退出",
        "Unsaved changes: Ctrl+S saves, Ctrl+Q again quits without saving",
    ),
    "e.unsaved": ("有未保存的修改：Ctrl+S 保存，再按 Esc 放弃", "Unsaved changes: Ctrl+S saves, Esc again discards"),
    "e.no_grader": ("评测模块不可用：{error}", "Grading is not available: {error}"),
    "e.editor_failed": ("无法启动编辑器 {editor}：{error}", "Could not start {editor}: {error}"),
    "bank.invalid": (
        "题库 {path} 有 {n} 个问题，请修正后重试（quiz validate {path}）：",
        "The bank at {path} has {n} problem(s); fix them and try again (quiz validate {path}):",
    ),
    "store.recovered": (
        "进度文件已损坏，已移到 {path}，并新建了一个",
        "The progress file was corrupt: moved to {path}, started a new one",
    ),
    "help.title": ("帮助", "Help"),
    "help.body": (
        "在终端里练习 AI 工程面试题。\n\n"
        "- **练习**：按题组、主题、标签、题型挑题，顺序或打乱。\n"
        "- **复习**：FSRS 到期的卡片，然后是新题。\n"
        "- **模拟面试**：随机 N 题，每题计时，结束后出报告。\n\n"
        "作答后看参考答案与要点，像 Anki 一样按 1-4 自评（重来/困难/良好/简单），u 撤销。"
        "在答题框外按 Space 直接看答案，l 切换语言，Esc 返回；q 在首页退出，Ctrl+Q 随时退出，没提交的回答会保存下来。",
        "Practise AI-engineering interview questions in the terminal.\n\n"
        "- **Practice**: pick decks, topics, tags and types, in order or shuffled.\n"
        "- **Drill**: the FSRS cards due now, then new ones.\n"
        "- **Mock interview**: N random questions, timed, with a report at the end.\n\n"
        "After answering you see the reference answer and key points; rate yourself as in Anki with 1-4 "
        "(Again/Hard/Good/Easy), u undoes. Outside the answer box, Space reveals without answering, l switches the "
        "language, Esc goes back; q quits from home and Ctrl+Q from anywhere, keeping an answer not yet submitted.",
    ),
    "help.keys": ("本页按键", "Keys on this screen"),
    "help.key": ("按键", "Key"),
    "help.action": ("作用", "Action"),
}

# English description or tooltip of a key binding -> Chinese. A test checks that every binding of every screen
# has its entry here.
BINDING_WORDS: dict[str, str] = {
    "中/EN": "中/EN",
    "Help": "帮助",
    "Home": "首页",
    "Back": "返回",
    "Quit": "退出",
    "Quit; a half-typed answer is kept": "退出；没提交的回答会保存下来",
    "Close help": "关闭帮助",
    "Practice": "练习",
    "Drill": "复习",
    "Mock": "模拟面试",
    "Exercises": "编程练习",
    "Stats": "统计",
    "Submit": "提交",
    "Reveal": "看答案",
    "Choose": "选择",
    "Exercise": "做练习",
    "Finish": "结束",
    "Undo": "撤销",
    "Again": "重来",
    "Hard": "困难",
    "Good": "良好",
    "Easy": "简单",
    "Scroll down": "向下滚动",
    "Scroll up": "向上滚动",
    "Page down": "向下翻页",
    "Page up": "向上翻页",
    "Start": "开始",
    "Edit": "编辑",
    "Editor": "编辑器",
    "Test": "测试",
    "Reference": "参考答案",
    "Save": "保存",
    "Up": "上移",
    "Down": "下移",
    "First": "第一项",
    "Last": "最后一项",
    "Page Up": "向上翻页",
    "Page Down": "向下翻页",
    "Select": "选中",
    "Command palette": "命令面板",
    "palette": "命令面板",  # Textual's own Ctrl+P binding
    "Switch the language of questions and answers": "切换题目和答案的语言",
    "Take back the last rating": "撤回上一次评分",
    "Edit the solution in the built-in editor": "在内置编辑器里编辑解答",
    "Run the tests on your solution": "用测试检查你的解答",
    "End the session and see its summary": "结束本轮并查看小结",
}


def tr_binding(text: str, lang: str) -> str:
    """A key binding's description or tooltip in `lang` (they are written in English)."""
    return BINDING_WORDS.get(text, text) if lang == "zh" else text


def tr(key: str, lang: str, **values: object) -> str:
    zh, en = STRINGS[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def other_lang(lang: str) -> str:
    return "en" if lang == "zh" else "zh"


def clock_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"
