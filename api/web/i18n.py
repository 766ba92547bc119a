"""The page's words in zh-CN (default) and English; the script gets the same table as JSON."""

from __future__ import annotations

from analytics.alerts.render import KIND_EN, KIND_ZH, STATUS_EN, STATUS_ZH
from api.lang import Lang

LANGS: tuple[Lang, ...] = ("zh", "en")

TEXT: dict[str, tuple[str, str]] = {
    # key: (zh-CN, English)
    "title": ("蛋鸡场一览", "Park at a glance"),
    "houses": ("鸡舍", "Houses"),
    "lines": ("今日包装线", "Packing lines today"),
    "alerts": ("未关闭告警", "Open alerts"),
    "reports": ("报表", "Reports"),
    # Chinese text takes full-width brackets: "今日产蛋率 (截至目前)" mixed in ASCII ones.
    "hen_day_so_far": ("今日产蛋率（截至目前）", "Hen-day today (so far)"),
    "standard": ("标准", "standard"),
    "of_standard": ("达标率", "of standard"),  # a share of the standard, not a pass/fail
    "standard_so_far": ("标准（至此）", "Standard so far"),
    "standard_day": ("标准全天", "Standard, full day"),
    "eggs_today": ("今日产蛋", "Eggs today"),
    "no_counts": ("今日无计数数据", "no counter readings today"),
    "no_hens": ("空舍", "empty house"),
    "hens": ("存栏", "Hens"),
    "age": ("周龄", "Age (weeks)"),
    "spark_legend": (
        "近14天：实线为实际，虚线为品种标准",
        "Last 14 days: solid actual, dashed breed standard",
    ),
    "graded": ("分级", "Graded"),
    "cases": ("装箱", "Cases"),
    "rejects": ("剔除率", "Rejects"),
    "speed": ("线速度（枚/时）", "Speed (eggs/h)"),
    "state_0": ("停止", "stopped"),
    "state_1": ("运行", "running"),
    "state_2": ("故障", "fault"),
    "state_none": ("无数据", "no data"),
    "no_park": ("尚未配置园区（park.yaml）。", "No park configured yet (park.yaml)."),
    "no_store": ("遥测数据暂不可用。", "Telemetry is not available right now."),
    "role_admin": ("系统管理员", "admin"),
    "role_manager": ("园区经理", "manager"),
    "role_supervisor": ("生产主管", "supervisor"),
    "role_payroll": ("工资核算", "payroll"),
    "role_poverty_office": ("乡村振兴（扶贫）办", "poverty office"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "username": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "login_hint": ("登录后查看并确认告警。", "Log in to see and acknowledge alerts."),
    "login_page_hint": ("登录后查看园区数据。", "Log in to see the park's figures."),
    "session_ended": ("登录已失效，请重新登录。", "Your session has ended; please log in again."),
    "cookie_refused": (
        "浏览器没有保存登录，请允许本站使用 Cookie。",
        "The browser did not keep the login; allow cookies for this site.",
    ),
    "login_failed": ("用户名或密码错误。", "Wrong user name or password."),
    # 429 from the login limit (api/routes/auth.py): retrying at once only keeps the lock.
    "too_many_logins": (
        "登录失败次数过多，请一分钟后再试。",
        "Too many failed logins; wait a minute and try again.",
    ),
    "acknowledge": ("确认", "Acknowledge"),
    "no_alerts": ("没有未关闭的告警。", "No open alerts."),
    "forbidden": ("您的角色不能查看告警。", "Your role may not see alerts."),
    "forbidden_report": ("您的角色不能下载此报表。", "Your role may not download this report."),
    "error": ("出错了，请重试。", "Something went wrong; try again."),
    "updated": ("更新于", "Updated"),
    "employment": ("本年务工就业（按月）", "Employment this year, by month"),
    "year_total": ("全年", "Year"),
    "payroll_runs": ("工资发放（最近几期）", "Payroll runs, latest"),
    "period": ("工资期", "Period"),
    "run_status": ("状态", "Status"),
    "run_workers": ("人数", "Workers"),
    "net_total": ("实发合计（元）", "Net total (CNY)"),
    "run_draft": ("草稿", "draft"),
    "run_approved": ("已审批", "approved"),
    "run_paid": ("已发放", "paid"),
    "no_runs": ("还没有工资期。", "No payroll runs yet."),
    "earlier_runs": ("更早的工资期", "Earlier runs"),
    "employment_report": ("就业报表（本年，Excel）", "Employment report (this year, Excel)"),
    "api_docs": ("接口文档", "API documentation"),
    "row": ("列", "row"),
    "drop_points": ("下降 {n} 个百分点", "down {n} points"),
    "drop_pct": ("下降 {n}%", "down {n}%"),
    "switch": ("English", "中文"),
}


# Alert kinds as the alert messages (WeCom, DingTalk, e-mail) and the dashboards name them: one
# table (analytics/alerts/render.py), so the page's 产蛋率下降 is the message's 产蛋率下降.
TEXT |= {f"kind_{k}": (KIND_ZH[k], KIND_EN[k]) for k in KIND_ZH}
TEXT |= {s: (STATUS_ZH[s], STATUS_EN[s]) for s in ("open", "acknowledged")}  # the alerts' pills


def table(lang: Lang) -> dict[str, str]:
    i = LANGS.index(lang)
    return {k: v[i] for k, v in TEXT.items()}
