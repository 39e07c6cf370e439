"""SQL fragments of the generator: deterministic pseudo-randomness and record attributes.

Every random choice is `u(k, a, b, c)`: DuckDB's hash of (seed, stream k, a, b, c) mapped to
[0, 1). A grant is identified by (t, g, i) = (type 1/2/3, grant year, index in the
(type, year) block), so every attribute of a grant (dates, application number, patentee,
county) can be recomputed anywhere from those three numbers: transfers, pledges and awards
pick (t, g, i) and re-derive the patent instead of joining the (huge) grants table.
"""

from __future__ import annotations

from ingestion.synthetic.params import (
    ABANDONED_SHARE,
    ENTERPRISES_PER_COUNTY,
    INVALIDATED_SHARE,
    LAPSE_WEIBULL,
    NON_SEI_IPC,
    PRIORITY_SERIAL_BASE,
    PUBLICATION_STRIDE,
    RELAPSE_SHARE,
    RESTORED_SHARE,
    SEI_MAIN_SHARE,
    SEI_SECONDARY_SHARE,
    SERIAL_STRIDE,
    SLOTS,
    STREETS,
)

ENT_W1 = (
    "华",
    "中",
    "鑫",
    "盛",
    "新",
    "瑞",
    "恒",
    "博",
    "凯",
    "远",
    "宏",
    "天",
    "创",
    "智",
    "泰",
    "安",
    "达",
    "兴",
    "联",
    "汇",
)
ENT_W2 = ("光", "科", "源", "通", "信", "德", "力", "辰", "宇", "晟")
ENT_IND = ("科技", "电子", "机械", "新材料", "生物科技", "信息技术", "能源", "环保科技", "汽车零部件", "光电")
UNIVERSITIES = ("大学", "理工大学", "科技大学", "师范大学", "工程学院", "职业技术学院")
INSTITUTES = ("材料研究所", "农业科学院", "机械研究院", "信息技术研究所")
GOVERNMENT = ("农业农村局", "水利局", "生态环境局")
OTHERS = ("第一人民医院", "中心医院", "中医医院")
SURNAMES = (
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "黄",
    "赵",
    "吴",
    "周",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
    "郭",
    "何",
    "林",
    "罗",
    "高",
    "郑",
    "梁",
    "谢",
    "宋",
    "唐",
    "许",
    "韩",
    "冯",
    "邓",
    "曹",
)
GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "志强",
    "建华",
    "海燕",
    "晓东",
    "文博",
    "子涵",
    "浩然",
    "欣怡",
    "俊杰",
    "雨桐",
    "思远",
    "振华",
    "立新",
    "国庆",
    "红梅",
    "春生",
    "建国",
    "晨曦",
)
NOUNS = (
    "半导体器件",
    "锂离子电池",
    "数据处理装置",
    "图像识别系统",
    "无线通信终端",
    "机械臂",
    "复合材料",
    "发酵工艺",
    "污水处理设备",
    "光伏组件",
    "电机控制器",
    "检测装置",
    "混凝土构件",
    "轴承",
    "阀门",
    "食品加工机",
    "医用导管",
    "输送装置",
    "起重机",
    "传感器",
    "显示面板",
    "储能系统",
    "催化剂",
    "中药组合物",
    "农业播种机",
    "光纤连接器",
    "汽车座椅",
    "空调器",
    "包装箱",
    "照明灯具",
)
SUFFIXES = ("", "及其制备方法", "的控制方法", "及其应用", "的检测方法", "组件")
DESIGNS = (
    "手机壳",
    "台灯",
    "包装盒",
    "座椅",
    "水杯",
    "电动牙刷",
    "茶具",
    "路由器",
    "音箱",
    "服装吊牌",
    "儿童玩具",
    "智能手表",
    "餐盘",
    "门把手",
    "花瓶",
)
BANKS = (
    "中国工商银行股份有限公司",
    "中国农业银行股份有限公司",
    "中国银行股份有限公司",
    "中国建设银行股份有限公司",
    "交通银行股份有限公司",
    "招商银行股份有限公司",
    "汉口银行股份有限公司",
    "兴业银行股份有限公司",
)
FOREIGN = (  # (country, cumulative probability, names, address)
    (
        "US",
        0.35,
        (
            "Apex Devices Inc.",
            "Northfield Semiconductor Corp.",
            "Bluewater Medical LLC",
            "Summit Robotics Inc.",
        ),
        "California, United States",
    ),
    (
        "JP",
        0.65,
        (
            "Sakura Electric Co., Ltd.",
            "Kanto Precision Industries Ltd.",
            "Nippon Optics Corporation",
            "Fujimi Chemical Co., Ltd.",
        ),
        "Tokyo, Japan",
    ),
    (
        "DE",
        0.75,
        ("Rheinland Maschinenbau GmbH", "Bavaria Automotive AG", "Nordlicht Optik GmbH", "Hansa Chemie AG"),
        "Munich, Germany",
    ),
    (
        "KR",
        0.83,
        ("Hanbit Electronics Co., Ltd.", "Daehan Display Co., Ltd.", "Seoul Battery Corp.", "Mirae Bio Inc."),
        "Seoul, Republic of Korea",
    ),
    (
        "TW",
        0.93,
        (
            "台湾晶元科技股份有限公司",
            "台湾宏达光电股份有限公司",
            "台湾联发精密股份有限公司",
            "台湾永丰化工股份有限公司",
        ),
        "台湾新竹科学园区",
    ),
    (
        "HK",
        1.00,
        ("香港恒通实业有限公司", "香港信达科技有限公司", "香港瑞丰国际有限公司", "香港汇力电子有限公司"),
        "香港九龙观塘道",
    ),
)
PATENTEE_TYPE_CDF = {  # by patent type: enterprise, university, institute, individual, government
    1: (0.70, 0.87, 0.93, 0.98, 0.985),
    2: (0.72, 0.78, 0.80, 0.98, 0.99),
    3: (0.60, 0.61, 0.615, 0.985, 0.99),
}
HOLDER_ORDER = ("enterprise", "university", "research_institute", "individual", "government")


def lit_list(values: tuple[str, ...] | list[str]) -> str:
    """A DuckDB list literal of strings."""
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def pick(values: tuple[str, ...] | list[str], u: str) -> str:
    """values[floor(u * len)] in SQL (lists are 1-based)."""
    return f"{lit_list(values)}[1 + floor(({u}) * {len(values)})::INTEGER]"


def macros(seed: int, start_year: int) -> list[str]:
    """Temp macros of one generator run (recreated per call: the seed is baked in)."""
    w = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
    check = " + ".join(f"((n // {10 ** (11 - k)}) % 10) * {w[k]}" for k in range(12))
    return [
        # 53 high bits of the hash -> exact double in [0, 1). DuckDB combines the hashes of
        # several arguments almost linearly (XOR-like), so streams differing only in k would
        # be strongly correlated (corr ~0.6 measured); re-hashing the combined value makes
        # them independent.
        "create or replace temp macro _syn_u(k, a, b, c) as "
        f"(hash(hash({int(seed)}::BIGINT, k::BIGINT, a::BIGINT, b::BIGINT, c::BIGINT)) >> 11)::DOUBLE"
        " / 9007199254740992.0",
        f"create or replace temp macro _syn_check(n) as ({check}) % 11",
        # 12-digit number (year, type, 7-digit serial) -> `202110123456.7`
        "create or replace temp macro _syn_appno(n) as n::VARCHAR || '.' || "
        "['0','1','2','3','4','5','6','7','8','9','X'][_syn_check(n) + 1]",
        "create or replace temp macro _syn_ndays(y) as "
        "(make_date((y + 1)::INTEGER, 1, 1) - make_date(y::INTEGER, 1, 1))",
        f"create or replace temp macro _syn_start() as {int(start_year)}",
        # enterprise k of a county: unique name per (county, k) because (k%20, k//20) is
        "create or replace temp macro _syn_ent(prefix, k) as prefix || "
        f"{lit_list(ENT_W1)}[1 + k % 20] || {lit_list(ENT_W2)}[1 + (k // 20) % 10] || "
        f"{lit_list(ENT_IND)}[1 + (k * 7 + 3) % 10] || '有限公司'",
        f"create or replace temp macro _syn_sme(county, k) as "
        f"(hash(hash({int(seed)}::BIGINT, 77::BIGINT, county, k::BIGINT)) % 100) < 80",
        f"create or replace temp macro _syn_hightech(county, k) as "
        f"(hash(hash({int(seed)}::BIGINT, 78::BIGINT, county, k::BIGINT)) % 100) < 35",
    ]


def holder_type(u: str, t: str) -> str:
    """Patentee type from u, with a mix that depends on the patent type t."""
    cdf = PATENTEE_TYPE_CDF
    whens = " ".join(
        f"when {u} < list_extract([{cdf[1][k]}, {cdf[2][k]}, {cdf[3][k]}], {t}) then '{name}'"
        for k, name in enumerate(HOLDER_ORDER)
    )
    return f"case {whens} else 'other' end"


def party_name(ptype: str, s: str, ua: str, ub: str) -> str:
    """Name of a party of type `ptype` located by the slot row alias `s`."""
    k = f"floor({ENTERPRISES_PER_COUNTY} * ({ua}) * ({ua}))::BIGINT"
    return (
        f"case {ptype} when 'enterprise' then _syn_ent({s}.name_prefix, {k})"
        f" when 'university' then {s}.pref_short || {pick(UNIVERSITIES, ua)}"
        f" when 'research_institute' then {s}.pref_short || {pick(INSTITUTES, ua)}"
        f" when 'individual' then {pick(SURNAMES, ua)} || {pick(GIVEN, ub)}"
        f" when 'government' then {s}.pref_short || '市' || {pick(GOVERNMENT, ua)}"
        f" else {s}.pref_short || '市' || {pick(OTHERS, ua)} end"
    )


def enterprise_k(ua: str) -> str:
    return f"floor({ENTERPRISES_PER_COUNTY} * ({ua}) * ({ua}))::BIGINT"


def region_and_address(
    county: str,
    old_code: str,
    addr_prefix: str,
    old_addr_prefix: str,
    u_old: str,
    u_mode: str,
    u_street: str,
    prefix: str,
) -> str:
    """`<prefix>_region_code, <prefix>_address` of a party located in `county`.

    ~5 % address only (code null), ~10 % both, the rest code only; where the county has a
    recently retired code (420882 <- 420821), 10 % of records still use it (and its name).
    """
    old = f"({old_code} is not null and {u_old} < 0.10)"
    addr = (
        f"case when {old} then {old_addr_prefix} else {addr_prefix} end"
        f" || {pick(STREETS, u_street)} || (1 + floor({u_street} * 99991)::BIGINT % 998)::VARCHAR"
        " || '号'"
    )
    return (
        f"case when {u_mode} < 0.05 then null when {old} then {old_code}"
        f" else {county} end as {prefix}_region_code,"
        f" case when {u_mode} < 0.15 then {addr} end as {prefix}_address"
    )


def ipc_code(u_sei: str, u_pick: str, sei: list[str], sei_share: str) -> str:
    """An IPC code like `H01L 21/02`: subclass (SEI with probability sei_share), group."""
    sub = f"case when {u_sei} < {sei_share} then {pick(sei, u_pick)} else {pick(NON_SEI_IPC, u_pick)} end"
    grp = f"(1 + floor({u_pick} * 1000003)::BIGINT % 60)::VARCHAR"
    subgrp = f"lpad(((floor({u_pick} * 7919)::BIGINT % 8) * 2)::VARCHAR, 2, '0')"
    return f"{sub} || ' ' || {grp} || '/' || {subgrp}"


def patent_core(src: str) -> str:
    """Grant attributes derivable from (prov, t, g, i) of `src`, plus its county slot row.

    Output columns: everything of src, lag, fy (filing year), gdate, fdate, appno (BIGINT
    12 digits), application_number, ptype, pname, ent_k and the slot columns prefixed s_.
    Foreign rows (prov 'XX') have null slot columns.
    """
    inv_lag = (
        "case when u1 < 0.02 then 0 when u1 < 0.20 then 1 when u1 < 0.55 then 2"
        " when u1 < 0.82 then 3 when u1 < 0.94 then 4 when u1 < 0.98 then 5 else 6 end"
    )
    return f"""
    select c.*, _syn_appno(c.appno) as application_number,
        s.county_code as s_county_code, s.old_code as s_old_code,
        s.pref_short as s_pref_short, s.pref_code as s_pref_code,
        s.name_prefix as s_name_prefix, s.addr_prefix as s_addr_prefix,
        s.old_addr_prefix as s_old_addr_prefix,
        {party_name("c.ptype", "s", "c.u6", "c.u7")} as pname
    from (
        select b.*,
            (b.fy * 100000000 + b.t * 10000000
                + b.lag * (list_extract([{SERIAL_STRIDE[1]}, {SERIAL_STRIDE[2]}, {SERIAL_STRIDE[3]}],
                                        b.t::INTEGER)) + b.i)::BIGINT as appno,
            case when b.lag = 0
                then make_date(b.g::INTEGER, 1, 1) + floor(b.u3 * b.gdoy)::INTEGER
                else make_date(b.fy::INTEGER, 1, 1) + floor(b.u3 * _syn_ndays(b.fy))::INTEGER
            end as fdate,
            {holder_type("b.u5", "b.t::INTEGER")} as ptype,
            {enterprise_k("b.u6")} as ent_k
        from (
            select a.*, a.g - a.lag as fy,
                make_date(a.g::INTEGER, 1, 1) + a.gdoy as gdate
            from (
                select x.*,
                    case x.t when 1 then {inv_lag} when 2 then (x.u1 >= 0.55)::INTEGER
                        else (x.u1 >= 0.65)::INTEGER end as lag,
                    floor(x.u2 * _syn_ndays(x.g))::INTEGER as gdoy
                from (
                    select src.*, _syn_u(1, src.t, src.g, src.i) as u1,
                        _syn_u(2, src.t, src.g, src.i) as u2, _syn_u(3, src.t, src.g, src.i) as u3,
                        _syn_u(4, src.t, src.g, src.i) as u4, _syn_u(5, src.t, src.g, src.i) as u5,
                        _syn_u(6, src.t, src.g, src.i) as u6, _syn_u(7, src.t, src.g, src.i) as u7
                    from {src} src
                ) x
            ) a
        ) b
    ) c
    left join _syn_slots s on s.prov = c.prov and s.slot = floor(c.u4 * {SLOTS})::BIGINT
    """


def grants_select(src: str, sei: list[str], source: str) -> str:
    """The grants feed rows for the grant identities in `src` (prov, t, g, i, _row)."""
    streams = ", ".join(
        f"_syn_u({k}, c.t, c.g, c.i) as u{k}"
        for k in (8, 9, 11, 12, 13, 14, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26)
    )
    foreign_country = (
        "case " + " ".join(f"when p.u23 < {cum} then '{code}'" for code, cum, _, _ in FOREIGN) + " end"
    )
    foreign_name = (
        "case "
        + " ".join(f"when p.u23 < {cum} then {pick(names, 'p.u24')}" for _, cum, names, _ in FOREIGN)
        + " end"
    )
    foreign_addr = (
        "case " + " ".join(f"when p.u23 < {cum} then '{addr}'" for _, cum, _, addr in FOREIGN) + " end"
    )
    sei_share = f"list_extract([{SEI_MAIN_SHARE[1]}, {SEI_MAIN_SHARE[2]}, 0.0], p.t::INTEGER)"
    main = ipc_code("p.u13", "p.u14", sei, sei_share)
    sec1 = ipc_code("p.u18", "p.u19", sei, str(SEI_SECONDARY_SHARE))
    sec2 = ipc_code("p.u20", "p.u21", sei, str(SEI_SECONDARY_SHARE))
    region = region_and_address(
        "p.s_county_code",
        "p.s_old_code",
        "p.s_addr_prefix",
        "p.s_old_addr_prefix",
        "p.u22",
        "p.u8",
        "p.u9",
        "d",
    )
    return f"""
    select
        application_number, publication_number, patent_type, title, filing_date, grant_date,
        ipc_main,
        case when ipc_main is not null then ipc_main || ipc_more end as ipc_all,
        patentee_name, patentee_type,
        case when foreign_ then null else d_region_code end as patentee_region_code,
        case when foreign_ then foreign_address else d_address end as patentee_address,
        patentee_country, overseas_family_grants, priority_date, _source, _row, _extra
    from (
        select
            p.application_number,
            'CN' || (p.t * 100000000 + (p.g - 2010) * {PUBLICATION_STRIDE} + p.i)::VARCHAR
                || ['B', 'U', 'S'][p.t::INTEGER] as publication_number,
            ['invention', 'utility_model', 'design'][p.t::INTEGER] as patent_type,
            case when p.t = 3 then {pick(DESIGNS, "p.u11")}
                else '一种' || {pick(NOUNS, "p.u11")} || {pick(SUFFIXES, "p.u12")} end as title,
            p.fdate as filing_date,
            p.gdate as grant_date,
            case when p.t < 3 then {main} end as ipc_main,
            case when p.u17 >= 0.5 then ';' || ({sec1}) else '' end
                || case when p.u17 >= 0.8 then ';' || ({sec2}) else '' end as ipc_more,
            p.prov = 'XX' as foreign_,
            case when p.prov = 'XX' then {foreign_name} else p.pname end as patentee_name,
            case when p.prov = 'XX' then 'enterprise' else p.ptype end as patentee_type,
            {region},
            case when p.prov = 'XX' then {foreign_addr} end as foreign_address,
            case when p.prov = 'XX' then {foreign_country} else 'CN' end as patentee_country,
            (case when p.t = 1 and p.u25 < 0.04 then 1 + floor(p.u25 * 125)::INTEGER
                else 0 end)::INTEGER as overseas_family_grants,
            case when p.t = 1 and p.u26 < 0.03
                then p.fdate - (30 + floor(p.u26 * 10000)::INTEGER % 330) end as priority_date,
            '{source}' as _source,
            p._row::BIGINT as _row,
            null::VARCHAR as _extra
        from (select c.*, {streams} from ({patent_core(src)}) c) p
    )
    """


def events_select(grants: str, end_year: int, source: str) -> str:
    """legal_events for the grants table: first termination, restoration, relapse.

    Time to the first termination ~ Weibull by type (LAPSE_WEIBULL); events exist only if
    dated <= Dec 31 of end_year and before the term ends (20 y inventions, 10 y utility
    models, 10/15 y designs filed before/after 2021-06-01).
    """
    k = f"list_extract([{LAPSE_WEIBULL[1][0]}, {LAPSE_WEIBULL[2][0]}, {LAPSE_WEIBULL[3][0]}], t)"
    eta = f"list_extract([{LAPSE_WEIBULL[1][1]}, {LAPSE_WEIBULL[2][1]}, {LAPSE_WEIBULL[3][1]}], t)"

    def u(n: int) -> str:
        return f"_syn_u({n}, 0, 0, _row)"

    horizon = f"make_date({int(end_year)}, 12, 31)"
    return f"""
    select event_id, application_number, event_date, event_type, '{source}' as _source,
        row_number() over (order by grow, n)::BIGINT as _row, null::VARCHAR as _extra
    from (
        select application_number, grow, ev.n as n, ev.d as event_date, ev.ty as event_type,
            'E' || application_number || '-' || ev.n::VARCHAR as event_id
        from (
            select application_number, grow,
                unnest(list_filter([
                    {{'n': 1, 'd': d1, 'ty': ty1, 'ok': d1 < expiry and d1 <= {horizon}}},
                    {{'n': 2, 'd': d2, 'ty': 'restored',
                      'ok': d1 < expiry and ty1 = 'lapse_nonpayment' and r2 < {RESTORED_SHARE}
                            and d2 < expiry and d2 <= {horizon}}},
                    {{'n': 3, 'd': d3, 'ty': 'lapse_nonpayment',
                      'ok': d1 < expiry and ty1 = 'lapse_nonpayment' and r2 < {RESTORED_SHARE}
                            and r3 < {RELAPSE_SHARE} and d3 < expiry and d3 <= {horizon}}}
                ], lambda x: x.ok)) as ev
            from (
                select application_number, _row as grow, expiry, d1, ty1, r2, r3,
                    d1 + 60 + floor(r2 * 1000003)::INTEGER % 300 as d2,
                    d1 + 60 + floor(r2 * 1000003)::INTEGER % 300
                        + 365 + floor(r3 * 1000003)::INTEGER % 1100 as d3
                from (
                    select application_number, _row,
                        (filing_date + to_years(case t when 1 then 20 when 2 then 10
                            else (case when filing_date < date '2021-06-01' then 10 else 15 end)
                            end))::DATE as expiry,
                        grant_date + 1 + floor(365.25 * {eta}
                            * pow(-ln(1 - {u(31)}), 1 / {k}))::INTEGER as d1,
                        case when {u(32)} < {1 - INVALIDATED_SHARE - ABANDONED_SHARE}
                                then 'lapse_nonpayment'
                            when {u(32)} < {1 - ABANDONED_SHARE} then 'invalidated'
                            else 'abandoned' end as ty1,
                        {u(33)} as r2, {u(35)} as r3
                    from (
                        select application_number, filing_date, grant_date, _row,
                            case patent_type when 'invention' then 1
                                when 'utility_model' then 2 else 3 end as t
                        from {grants}
                    )
                )
            )
        )
    )
    """


def pick_patent(src: str, stream: int, kind_mix: str) -> str:
    """For each row of src (prov, y, key a, key b, start), pick an earlier grant (t, g, i) of
    the same province: type by `kind_mix` (cumulative shares of invention, utility model),
    grant year y - back with back ~ exponential(2.5 y) capped at the first year, index
    uniform in the (province, type, year) block."""
    return f"""
    select r.*, v.prov as vprov, v.t as t, v.g as g,
        (v.off + floor(_syn_u({stream + 2}, r.ka, r.kb, r.kc) * v.n))::BIGINT as i
    from (
        select s.*,
            case when _syn_u({stream}, s.ka, s.kb, s.kc) < list_extract({kind_mix}, 1) then 1
                when _syn_u({stream}, s.ka, s.kb, s.kc) < list_extract({kind_mix}, 2) then 2
                else 3 end::BIGINT as pt,
            (s.y - least(s.y - _syn_start(),
                floor(-ln(1 - _syn_u({stream + 1}, s.ka, s.kb, s.kc)) * 2.5)))::BIGINT as pg
        from {src} s
    ) r
    join _syn_gvol v on v.prov = r.prov and v.t = r.pt and v.g = r.pg
    """


def transfers_select(end_year: int, source: str) -> str:
    """Assignments (kind 1) and licenses (kind 2): the assignor is the picked patent's
    patentee; the assignee is in the same province (so provincial stocks do not move)."""

    def u(n: int) -> str:
        return f"_syn_u({n}, p.ka, p.kb, p.kc)"

    src = (
        "(select prov, kind, y, kind as ka, y as kb, (off + r)::BIGINT as kc,"
        " (base + r + 1)::BIGINT as _row from _syn_tvol, unnest(range(n)) as q(r))"
    )
    picked = pick_patent(src, 101, "case when kind = 1 then [0.45, 0.95] else [0.60, 0.95] end")
    from_ra = region_and_address(
        "p.s_county_code",
        "p.s_old_code",
        "p.s_addr_prefix",
        "p.s_old_addr_prefix",
        u(105),
        u(106),
        u(107),
        "from",
    )
    to_ra = region_and_address(
        "s2.county_code", "s2.old_code", "s2.addr_prefix", "s2.old_addr_prefix", u(112), u(113), u(114), "to"
    )
    to_type = (
        f"case when p.ptype in ('university', 'research_institute') then"
        f" (case when {u(109)} < 0.9 then 'enterprise' else 'university' end)"
        f" when {u(109)} < 0.80 then 'enterprise' when {u(109)} < 0.95 then 'individual'"
        f" when {u(109)} < 0.98 then 'university' else 'research_institute' end"
    )
    return f"""
    select record_id, application_number, kind, license_type, registration_date,
        from_name, from_type, from_region_code, from_address,
        to_name, to_type, to_region_code, to_address, to_is_sme,
        '{source}' as _source, _row, null::VARCHAR as _extra
    from (
        select
            case when p.kind = 1 then 'ZR' else 'XK' end || p.y::VARCHAR
                || lpad((p.kc + 1)::VARCHAR, 7, '0') as record_id,
            p.application_number,
            case when p.kind = 1 then 'assignment' else 'license' end as kind,
            case when p.kind = 1 then null
                when {u(111)} < 0.6 then 'ordinary' when {u(111)} < 0.8 then 'exclusive'
                when {u(111)} < 0.9 or p.y < 2022 then 'sole' else 'open' end as license_type,
            greatest(p.gdate, make_date(p.y::INTEGER, 1, 1)
                + floor({u(104)} * _syn_ndays(p.y))::INTEGER) as registration_date,
            p.pname as from_name, p.ptype as from_type, {from_ra},
            {party_name("tt.to_type", "s2", u(110), u(115))} as to_name,
            tt.to_type, {to_ra},
            case when tt.to_type = 'enterprise'
                then _syn_sme(s2.county_code, {enterprise_k(u(110))}) else false end as to_is_sme,
            p._row
        from ({patent_core(f"({picked})")}) p
        cross join lateral (select {to_type} as to_type) tt
        join _syn_slots s2 on s2.prov = p.prov and s2.slot = floor({u(108)} * {SLOTS})::BIGINT
    )
    """


def pledges_select(end_year: int, source: str) -> str:
    """Pledges of 1-6 patents of the pledgor's province; the pledgor is the patentee of the
    first one. Amounts: lognormal weights scaled so each (province, year) sums exactly to
    its calibrated total. ~35 % get a later `cancelled` record (same pledge_id and
    registration, cancellation date in _extra), listed after all registrations."""

    def u(n: int) -> str:
        return f"_syn_u({n}, 0, q.y, q.kc)"

    src = f"""(select prov, y, y as ka, kc, kk as kb, _row, npat, amount_10k from (
        select prov, y, kc, _row, amount_10k,
            case when {u(201)} < 0.35 then 1 when {u(201)} < 0.60 then 2 when {u(201)} < 0.75 then 3
                 when {u(201)} < 0.85 then 4 when {u(201)} < 0.93 then 5 else 6 end as npat
        from (select prov, y, (off + r)::BIGINT as kc, (base + r + 1)::BIGINT as _row, amount_10k
              from _syn_pvol, unnest(range(n)) as z(r)) q
    ), unnest(range(npat)) as z2(kk))"""
    picked = pick_patent(src, 211, "[0.60, 0.98]")
    ra = region_and_address(
        "q.s_county_code",
        "q.s_old_code",
        "q.s_addr_prefix",
        "q.s_old_addr_prefix",
        u(205),
        u(206),
        u(207),
        "pledgor",
    )
    horizon = f"make_date({int(end_year)}, 12, 31)"
    return f"""
    with patents as materialized (
        select * from ({patent_core(f"({picked})")})
    ),
    pledge as materialized (
        select q.prov, q.y, q.kc, q._row, q.amount_10k,
            max(case when q.kb = 0 then q.pname end) as pname,
            max(case when q.kb = 0 then q.ptype end) as ptype,
            max(q.gdate) as max_gdate,
            string_agg(distinct q.application_number, ';' order by q.application_number)
                as application_numbers,
            any_value(q.s_county_code) filter (where q.kb = 0) as s_county_code,
            any_value(q.s_old_code) filter (where q.kb = 0) as s_old_code,
            any_value(q.s_addr_prefix) filter (where q.kb = 0) as s_addr_prefix,
            any_value(q.s_old_addr_prefix) filter (where q.kb = 0) as s_old_addr_prefix,
            any_value(q.s_pref_short) filter (where q.kb = 0) as s_pref_short
        from patents q
        group by all
    ),
    reg as materialized (
        select
            'Y' || q.y::VARCHAR || lpad((q.kc + 1)::VARCHAR, 7, '0') as pledge_id,
            greatest(q.max_gdate, make_date(q.y::INTEGER, 1, 1)
                + floor({u(202)} * _syn_ndays(q.y))::INTEGER) as registration_date,
            q.pname as pledgor_name, q.ptype as pledgor_type, {ra},
            {pick(BANKS, u(203))} || q.s_pref_short || '分行' as pledgee_name,
            (q.amount_10k * w / sum(w) over (partition by q.prov, q.y))::DECIMAL(18, 4)
                as amount_10k_cny,
            q.application_numbers,
            q._row,
            {u(208)} as u_cancel, {u(209)} as u_cancel_days
        from (select *, exp(1.1 * sqrt(-2 * ln(1 - {u(210).replace("q.", "x.")}))
                          * cos(2 * pi() * {u(204).replace("q.", "x.")})) as w
              from pledge x) q
    ),
    cancel as (
        select *, registration_date + 180 + floor(u_cancel_days * 900)::INTEGER as cancelled_on
        from reg where u_cancel < 0.35
    )
    select pledge_id, registration_date, pledgor_name, pledgor_type, pledgor_region_code,
        pledgor_address, pledgee_name, amount_10k_cny, application_numbers,
        'registered' as status, '{source}' as _source, _row::BIGINT as _row,
        null::VARCHAR as _extra
    from reg
    union all
    select pledge_id, registration_date, pledgor_name, pledgor_type, pledgor_region_code,
        pledgor_address, pledgee_name, amount_10k_cny, application_numbers,
        'cancelled' as status, '{source}' as _source,
        ((select count(*) from reg) + row_number() over (order by _row))::BIGINT as _row,
        '{{"cancelled_on": "' || strftime(cancelled_on, '%Y-%m-%d') || '"}}' as _extra
    from cancel where cancelled_on <= {horizon}
    """


def pct_select(sei: list[str], source: str) -> str:
    """PCT applications: receiving office CN (calibrated) plus ~6 % at IB."""

    def u(n: int) -> str:
        return f"_syn_u({n}, q.ro, q.y, q.kc)"

    ra = region_and_address(
        "s.county_code",
        "s.old_code",
        "s.addr_prefix",
        "s.old_addr_prefix",
        u(305),
        u(306),
        u(307),
        "applicant",
    )
    uz = u(302).replace("q.", "z.")
    ptype = (
        f"case when {uz} < 0.85 then 'enterprise' when {uz} < 0.95 then 'university'"
        f" when {uz} < 0.98 then 'research_institute' else 'individual' end"
    )
    prio = (
        f"(extract(year from fdate - floor({u(309)} * 360)::INTEGER) * 100000000 + 10000000"
        f" + {PRIORITY_SERIAL_BASE} + q.kc % 199999)::BIGINT"
    )
    return f"""
    select pct_application_number, filing_date, receiving_office, applicant_name, applicant_type,
        applicant_region_code, applicant_address, applicant_country, ipc_main,
        priority_application_number, '{source}' as _source, _row, null::VARCHAR as _extra
    from (
        select
            'PCT/' || case when q.ro = 1 then 'CN' else 'IB' end || q.y::VARCHAR || '/'
                || lpad((q.kc + 1)::VARCHAR, 6, '0') as pct_application_number,
            q.fdate as filing_date,
            case when q.ro = 1 then 'CN' else 'IB' end as receiving_office,
            {party_name("q.ptype", "s", u(303), u(304))} as applicant_name,
            q.ptype as applicant_type, {ra}, 'CN' as applicant_country,
            {ipc_code(u(310), u(311), sei, "0.4")} as ipc_main,
            case when {u(308)} < 0.8 then _syn_appno({prio}) end as priority_application_number,
            q._row
        from (
            select z.*, {ptype} as ptype,
                make_date(z.y::INTEGER, 1, 1) + floor({u(301).replace("q.", "z.")}
                    * _syn_ndays(z.y))::INTEGER as fdate
            from (select prov, ro, y, (off + r)::BIGINT as kc, (base + r + 1)::BIGINT as _row
                  from _syn_ctvol, unnest(range(n)) as w(r)) z
        ) q
        join _syn_slots s on s.prov = q.prov and s.slot = floor({u(300)} * {SLOTS})::BIGINT
    )
    """


def awards_select(end_year: int) -> str:
    """A few hundred awarded inventions: 中国专利奖 (80 %) or 国家科学技术奖, awarded 1-6
    years after grant (not after end_year); one row per (patent, award)."""
    src = (
        "(select prov, y, 9 as ka, y as kb, (base + r)::BIGINT as kc from"
        f" (select prov, n, base, {int(end_year) - 1} as y from _syn_avol), unnest(range(n)) as w(r))"
    )
    picked = pick_patent(src, 401, "[1.0, 1.0]")
    return f"""
    select application_number, award, min(year)::INTEGER as year
    from (
        select p.application_number,
            case when _syn_u(404, p.ka, p.kb, p.kc) < 0.8 then 'china_patent_award'
                else 'national_sti_award' end as award,
            least({int(end_year)}, p.g + 1 + floor(_syn_u(405, p.ka, p.kb, p.kc) * 6)::INTEGER) as year
        from ({patent_core(f"({picked})")}) p
    )
    group by all
    """


def entities_select() -> str:
    """Every enterprise a county can generate (name, SME and high-tech flags as used in the
    feeds), plus the universities and institutes of each prefecture."""
    return f"""
    select name, entity_type, is_sme, is_high_tech, region_code from (
        select _syn_ent(c.name_prefix, k.k) as name, 'enterprise' as entity_type,
            _syn_sme(c.county_code, k.k) as is_sme, _syn_hightech(c.county_code, k.k) as is_high_tech,
            c.county_code as region_code
        from (select distinct county_code, name_prefix from _syn_slots) c,
             (select range::BIGINT as k from range({ENTERPRISES_PER_COUNTY})) k
        union all
        select distinct c.pref_short || o.suffix, o.entity_type, false, false, c.pref_code
        from (select distinct pref_short, pref_code from _syn_slots) c,
             (select unnest({lit_list(UNIVERSITIES)}) as suffix, 'university' as entity_type
              union all
              select unnest({lit_list(INSTITUTES)}), 'research_institute') o
    )
    """
