"""Messages: plan.

Plan errors read "<file>: <path inside it>: <problem>", so that the person editing the file
can go straight to the fault. Paths count list items from 0, as in JSON tools.
"""

EN: dict[str, str] = {
    # reading the file
    "plan.file_missing": "{file}: plan file not found",
    "plan.unreadable": "{file}: cannot read the plan file: {reason}",
    "plan.not_utf8": "{file}: not UTF-8 text (bad byte at offset {position})",
    "plan.bad_json": "{file}: line {line}, column {column}: not valid JSON: {reason}",
    "plan.json_constant": "{file}: {value} is not allowed in a plan (not a JSON number)",
    "plan.duplicate_key": '{file}: the key "{name}" appears twice in the same object',
    "plan.not_object": "{file}: a plan must be a JSON object, found {found}",
    "plan.unknown_builtin": 'no built-in plan named "{name}" (built-in plans: {known})',
    # structure and values
    "plan.missing_key": "{file}: {where}: missing (this key is required)",
    "plan.unknown_key": "{file}: {where}: unknown key (allowed here: {allowed})",
    "plan.wrong_type": "{file}: {where}: expected {expected}, found {found}",
    "plan.empty": "{file}: {where}: must not be empty",
    "plan.control_chars": "{file}: {where}: contains control characters",
    "plan.too_small": "{file}: {where}: {value} is too small (at least {minimum})",
    "plan.too_large": "{file}: {where}: {value} is too large (at most {maximum})",
    "plan.bad_number": "{file}: {where}: {value} is not a finite number",
    "plan.bad_date": '{file}: {where}: "{value}" is not a date in the form YYYY-MM-DD',
    "plan.bad_enum": '{file}: {where}: "{value}" is not one of {allowed}',
    "plan.bad_format": (
        "{file}: {where}: format {value} is not supported (this tracker reads format {supported})"
    ),
    "plan.bad_code": '{file}: {where}: "{value}" is not a 6-digit division code',
    "plan.bad_plan_id": (
        '{file}: {where}: "{value}" is not a plan id '
        "(lowercase letters and digits, joined by - or _)"
    ),
    "plan.bad_name_id": (
        '{file}: {where}: "{value}" is not an id '
        "(a lowercase letter, then lowercase letters, digits or _)"
    ),
    "plan.bad_section_id": '{file}: {where}: "{value}" is not a section number (like 2 or 2.3)',
    # references and consistency
    "plan.duplicate": '{file}: {where}: "{value}" is used twice (first at {first})',
    "plan.unknown_ref": '{file}: {where}: "{value}" does not match any {target}',
    "plan.county_outside": (
        '{file}: {where}: county code "{value}" does not lie in prefecture "{prefecture}" '
        "(their first four digits must agree)"
    ),
    "plan.outside_parent": (
        '{file}: {where}: "{value}" does not belong under "{parent}" '
        '(it must be "{parent}" or start with "{parent}.")'
    ),
    "plan.group_title": (
        '{file}: {where}: group "{group}" already has a different title at {first}'
    ),
    "plan.unanswered": '{file}: {where}: finding "{value}" is not answered by any recommendation',
    "plan.date_order": "{file}: {where}: {value} is before {other_where} ({other})",
    "plan.not_greater": "{file}: {where}: {value} must be greater than {other_where} ({other})",
    "plan.after_horizon": "{file}: {where}: {value} is after the plan's horizon ({horizon})",
    "plan.needs_deadline": '{file}: {where}: a target with period "once" needs a deadline',
    "plan.yearly_deadline": (
        '{file}: {where}: a target with period "yearly" falls due every December 31; '
        "its deadline must be null"
    ),
    "plan.derived_count": (
        "{file}: {where}: this indicator is computed from {allowed} facts, found {found}"
    ),
    "plan.derived_kind": (
        '{file}: {where}: fact "{value}" is of kind "{kind}"; only "count" or "amount" '
        "facts can be computed with"
    ),
    # JSON types, as the messages above name them
    "plan.type.object": "an object",
    "plan.type.array": "a list",
    "plan.type.string": "a string",
    "plan.type.integer": "a whole number",
    "plan.type.number": "a number",
    "plan.type.boolean": "true or false",
    "plan.type.null": "null",
    "plan.type.date": 'a date ("YYYY-MM-DD")',
    "plan.type.date_or_null": 'a date ("YYYY-MM-DD") or null',
    "plan.type.unknown": "a value of unknown type",
    # lookups
    "plan.unknown_county": 'no county matches "{query}"',
    "plan.unknown_prefecture": 'no prefecture matches "{query}"',
    "plan.unknown_recommendation": 'no recommendation "{query}" in the plan',
    "plan.unknown_indicator": 'no indicator "{query}" in the plan',
    "plan.unknown_fact": 'no fact "{query}" in the plan',
    "plan.unknown_finding": 'no finding "{query}" in the plan',
}

ZH: dict[str, str] = {
    # reading the file
    "plan.file_missing": "{file}:找不到计划文件",
    "plan.unreadable": "{file}:无法读取计划文件:{reason}",
    "plan.not_utf8": "{file}:不是 UTF-8 文本(偏移 {position} 处字节有误)",
    "plan.bad_json": "{file}:第 {line} 行第 {column} 列:不是有效的 JSON:{reason}",
    "plan.json_constant": "{file}:计划中不允许出现 {value}(不是 JSON 数值)",
    "plan.duplicate_key": "{file}:同一对象中键“{name}”出现了两次",
    "plan.not_object": "{file}:计划必须是一个 JSON 对象,实际为{found}",
    "plan.unknown_builtin": "没有名为“{name}”的内置计划(内置计划:{known})",
    # structure and values
    "plan.missing_key": "{file}:{where}:缺少此项(必填)",
    "plan.unknown_key": "{file}:{where}:未知的键(此处允许:{allowed})",
    "plan.wrong_type": "{file}:{where}:应为{expected},实际为{found}",
    "plan.empty": "{file}:{where}:不能为空",
    "plan.control_chars": "{file}:{where}:含有控制字符",
    "plan.too_small": "{file}:{where}:{value} 太小(至少为 {minimum})",
    "plan.too_large": "{file}:{where}:{value} 太大(至多为 {maximum})",
    "plan.bad_number": "{file}:{where}:{value} 不是有限的数值",
    "plan.bad_date": "{file}:{where}:“{value}”不是 YYYY-MM-DD 格式的日期",
    "plan.bad_enum": "{file}:{where}:“{value}”不在可选值之中:{allowed}",
    "plan.bad_format": "{file}:{where}:不支持格式版本 {value}(本程序读取版本 {supported})",
    "plan.bad_code": "{file}:{where}:“{value}”不是 6 位区划代码",
    "plan.bad_plan_id": "{file}:{where}:“{value}”不是有效的计划标识(小写字母和数字,以 - 或 _ 连接)",
    "plan.bad_name_id": (
        "{file}:{where}:“{value}”不是有效的标识(小写字母开头,后接小写字母、数字或 _)"
    ),
    "plan.bad_section_id": "{file}:{where}:“{value}”不是章节编号(如 2 或 2.3)",
    # references and consistency
    "plan.duplicate": "{file}:{where}:“{value}”重复使用(首次出现在 {first})",
    "plan.unknown_ref": "{file}:{where}:“{value}”与任何 {target} 都不匹配",
    "plan.county_outside": (
        "{file}:{where}:县级代码“{value}”不属于地级市“{prefecture}”(两者前四位必须相同)"
    ),
    "plan.outside_parent": (
        "{file}:{where}:“{value}”不属于“{parent}”(应为“{parent}”或以“{parent}.”开头)"
    ),
    "plan.group_title": "{file}:{where}:第“{group}”组在 {first} 已有不同的标题",
    "plan.unanswered": "{file}:{where}:问题“{value}”没有任何建议对应",
    "plan.date_order": "{file}:{where}:{value} 早于 {other_where}({other})",
    "plan.not_greater": "{file}:{where}:{value} 必须大于 {other_where}({other})",
    "plan.after_horizon": "{file}:{where}:{value} 晚于计划期限({horizon})",
    "plan.needs_deadline": "{file}:{where}:周期为“once”的目标必须有截止日期",
    "plan.yearly_deadline": (
        "{file}:{where}:周期为“yearly”的目标每年 12 月 31 日到期,截止日期必须为 null"
    ),
    "plan.derived_count": "{file}:{where}:此指标由 {allowed} 项事实计算,实际为 {found} 项",
    "plan.derived_kind": (
        "{file}:{where}:事实“{value}”的类型为“{kind}”;只有“count”或“amount”类型的事实可用于计算"
    ),
    # JSON types, as the messages above name them
    "plan.type.object": "对象",
    "plan.type.array": "列表",
    "plan.type.string": "字符串",
    "plan.type.integer": "整数",
    "plan.type.number": "数值",
    "plan.type.boolean": "true 或 false",
    "plan.type.null": "null",
    "plan.type.date": "日期(“YYYY-MM-DD”)",
    "plan.type.date_or_null": "日期(“YYYY-MM-DD”)或 null",
    "plan.type.unknown": "未知类型的值",
    # lookups
    "plan.unknown_county": "没有与“{query}”匹配的县(市、区)",
    "plan.unknown_prefecture": "没有与“{query}”匹配的地级市",
    "plan.unknown_recommendation": "计划中没有建议“{query}”",
    "plan.unknown_indicator": "计划中没有指标“{query}”",
    "plan.unknown_fact": "计划中没有事实“{query}”",
    "plan.unknown_finding": "计划中没有问题“{query}”",
}
