"""End-to-end test of the Python bindings against the real library and a
real paicha-server on loopback: a hidden danger through the whole loop on
three tablets, the user's scope, typed answers checked against the item's
kind, completion only with every item answered (R4), inspection source and
GPS location, errors arriving as the right exceptions with readable
messages, progress, change notifications (a subscription lives until
unsubscribed) and cancellation, and enforcement documents: orders numbered
offline on two tablets without clashing (R15), the sequence report, a
review opinion citing its order (§4), and printing to PDF in a CJK font
(checked with pdftotext).

Run by .ci/run after generating the bindings:
  PAICHA_SERVER_BIN=target/debug/paicha-server PYTHONPATH=target/bindings/python python3 ffi/tests/python/test_bindings.py
Prints "N passed, N failed" and exits non-zero on a failure.
"""

import datetime
import gc
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import traceback

import paicha_ffi as p

SERVER = os.environ.get("PAICHA_SERVER_BIN", "target/debug/paicha-server")
A = "91320583700000001K"  # demo enterprise in 玉山镇
D = "91320583700000004W"  # demo enterprise in 周市镇, outside 玉山镇's scope
WORK = tempfile.mkdtemp(prefix="paicha-py-")
# Debian's Noto Sans CJK (fonts-noto-cjk); on Android the app names /system/fonts/NotoSansCJK-Regular.ttc.
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def admin(data, *args):
    out = subprocess.run([SERVER, "--data", data, "--json", *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


class Server:
    def __init__(self):
        self.data = os.path.join(WORK, "server")
        subprocess.run([SERVER, "--data", self.data, "init", "--demo"], check=True, capture_output=True)
        env = dict(os.environ, PAICHA_LOG="warn")
        self.proc = subprocess.Popen([SERVER, "--data", self.data, "serve", "--listen", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
        line = self.proc.stdout.readline().strip()
        assert line.startswith("listening on "), line
        self.url = line[len("listening on "):]

    def tablet(self, device, user):
        code = admin(self.data, "device", "add", "--device", device, "--user", user)["code"]
        store = p.PaichaStore.open(os.path.join(WORK, device), device, os.urandom(32))
        who = store.enroll(self.url, code)
        assert who.id == user, who
        return store

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def jpeg(name):
    path = os.path.join(WORK, name + ".jpg")
    with open(path, "wb") as f:
        f.write(b"\xff\xd8\xff\xe0" + name.encode())
    return path


def expect(exc_type, fn, *args):
    try:
        fn(*args)
    except exc_type as e:
        return e
    raise AssertionError(f"expected {exc_type.__name__}")


server = Server()
tablets = {}


def test_whole_loop_across_three_tablets():
    wang = tablets["wang"] = server.tablet("py-wang", "insp-wang")
    ent = tablets["ent"] = server.tablet("py-ent", "ent-a")
    chen = tablets["chen"] = server.tablet("py-chen", "sup-chen")
    h = wang.report_hazard(p.NewHazardInput(
        enterprise=A, inspection_id=None, item_code=None, description="配电箱未接地", location="二号车间",
        level=None, on_site=False, before_photo_paths=[jpeg("before")], required_measures="接地",
        responsible_person="张厂长", co_inspectors=["insp-li"], deadline=None))
    assert h.status == p.HazardStatus.RECTIFYING
    assert h.level == p.Level.GENERAL
    assert h.kind == p.HazardKind.UNSAFE_CONDITION  # left out: an unsafe condition
    wang.sync(None, None)
    ent.sync(None, None)
    assert [x.id for x in ent.list_hazards(None, None)] == [h.id]
    ent.submit_evidence(h.id, "已接地", [jpeg("after")])
    ent.sync(None, None)
    chen.sync(None, None)
    assert [x.id for x in chen.review_queue()] == [h.id]
    chen.review(h.id, p.Decision.REJECT, "缺少检测报告")
    chen.sync(None, None)
    ent.sync(None, None)
    ent.submit_evidence(h.id, "补充检测报告", [jpeg("after2")])
    ent.sync(None, None)
    chen.sync(None, None)
    # The supervisor sees each submission, with its after photos, to review it.
    shown = chen.hazard(h.id)
    assert [e.description for e in shown.evidence] == ["已接地", "补充检测报告"], shown.evidence
    assert shown.evidence[1].by == "ent-a" and len(shown.evidence[1].after_photos) == 1
    assert chen.photo_bytes(shown.evidence[1].after_photos[0]).endswith(b"after2")
    closed = chen.review(h.id, p.Decision.APPROVE, "整改到位")
    assert closed.status == p.HazardStatus.CLOSED and closed.closure == p.ClosureKind.REVIEWED
    chen.sync(None, None)
    wang.sync(None, None)
    ent.sync(None, None)
    histories = [[(e.event_id, e.device_id, e.applied) for e in t.hazard(h.id).history] for t in (wang, ent, chen)]
    assert histories[0] == histories[1] == histories[2], histories
    assert [d for _, d, _ in histories[0]] == ["py-wang", "py-ent", "py-chen", "py-ent", "py-chen"]
    stats = chen.statistics(p.StatsGroupBy.TOWNSHIP)
    assert stats[0].group == "玉山镇" and stats[0].rectification_rate == 1.0


def test_errors_arrive_as_the_right_exceptions():
    wang, ent, chen = tablets["wang"], tablets["ent"], tablets["chen"]
    h = wang.report_hazard(p.NewHazardInput(
        enterprise=A, inspection_id=None, item_code=None, description="灭火器过期", location="",
        level=None, on_site=False, before_photo_paths=[jpeg("b2")], required_measures="",
        responsible_person="", co_inspectors=["insp-li"], deadline=None))
    # The exception's message is the sentence to show: the rule id first, never `rule=..., reason=...`.
    e = expect(p.PaichaError.Forbidden, wang.review, h.id, p.Decision.APPROVE, "自己销号")
    assert str(e).startswith("R8: ") and "supervisor" in str(e), str(e)
    assert "rule=" not in str(e) and "reason=" not in str(e), str(e)
    e = expect(p.PaichaError.Forbidden, wang.void_hazard, h.id, "x")
    assert str(e).startswith("R12: "), str(e)
    e = expect(p.PaichaError.InvalidInput, wang.request_extension, h.id, "next week", "x")
    assert str(e).startswith("until: ") and "next week" in str(e), str(e)
    e = expect(p.PaichaError.InvalidInput, wang.submit_evidence, h.id, "x", [os.path.join(WORK, "missing.jpg")])
    assert str(e).startswith("photo: "), str(e)
    e = expect(p.PaichaError.NotFound, chen.hazard, "00000000-0000-0000-0000-000000000000")
    assert str(e) == "not found: hidden danger 00000000-0000-0000-0000-000000000000", str(e)
    e = expect(p.PaichaError.Forbidden, wang.report_hazard, p.NewHazardInput(
        enterprise=A, inspection_id=None, item_code=None, description="x", location="", level=None, on_site=False,
        before_photo_paths=[], required_measures="", responsible_person="", co_inspectors=["insp-li"],
        deadline="2030-01-01"))
    assert str(e).startswith("R5: "), str(e)
    lonely = p.PaichaStore.open(os.path.join(WORK, "lonely"), "lonely")
    expect(p.PaichaError.NotEnrolled, lonely.review_queue)
    # The store of one device is not opened as another's.
    e = expect(p.PaichaError.InvalidInput, p.PaichaStore.open, os.path.join(WORK, "lonely"), "other-tablet")
    assert str(e).startswith("device_id: ") and "'lonely'" in str(e), str(e)
    expect(p.PaichaError.NotEnrolled, lonely.sync, None, None)


def test_progress_notifications_and_cancellation():
    wang, chen = tablets["wang"], tablets["chen"]

    class Progress(p.SyncProgressListener):
        def __init__(self):
            self.calls = []

        def on_progress(self, progress):
            self.calls.append(progress)

    class Changes(p.RecordChangeListener):
        def __init__(self):
            self.ids = []

        def on_records_changed(self, record_ids):
            self.ids.extend(record_ids)

    h = wang.report_hazard(p.NewHazardInput(
        enterprise=A, inspection_id=None, item_code=None, description="安全出口堵塞", location="", level=None,
        on_site=False, before_photo_paths=[jpeg("b3")], required_measures="", responsible_person="",
        co_inspectors=["insp-li"], deadline=None))
    wang.sync(None, None)
    cancel = p.CancelToken()
    cancel.cancel()
    expect(p.PaichaError.Cancelled, chen.sync, None, cancel)
    progress, changes = Progress(), Changes()
    sub = chen.subscribe(changes)
    summary = chen.sync(progress, None)
    assert progress.calls and progress.calls[-1].docs_down >= 1
    assert h.id in summary.changed_ids and h.id in changes.ids
    sub.unsubscribe()
    changes.ids.clear()
    wang.sync(None, None)


def test_a_subscription_lives_until_unsubscribed():
    wang, chen = tablets["wang"], tablets["chen"]

    class Changes(p.RecordChangeListener):
        def __init__(self):
            self.ids = []

        def on_records_changed(self, record_ids):
            self.ids.extend(record_ids)

    # The handle is not kept: the store holds the listener all the same.
    kept_by_the_store = Changes()
    chen.subscribe(kept_by_the_store)
    gc.collect()
    unsubscribed = Changes()
    sub = chen.subscribe(unsubscribed)
    assert sub.is_active()
    sub.unsubscribe()
    assert not sub.is_active()
    sub.unsubscribe()  # again: nothing happens
    del sub
    gc.collect()
    h = wang.report_hazard(p.NewHazardInput(
        enterprise=A, inspection_id=None, item_code=None, description="消防通道占用", location="", level=None,
        on_site=False, before_photo_paths=[jpeg("b4")], required_measures="", responsible_person="",
        co_inspectors=["insp-li"], deadline=None))
    wang.sync(None, None)
    chen.sync(None, None)
    assert h.id in kept_by_the_store.ids, kept_by_the_store.ids
    assert unsubscribed.ids == [], unsubscribed.ids


def test_scope_people_and_enterprises():
    wang, ent = tablets["wang"], tablets["ent"]
    scope = wang.scope()
    assert scope.role == p.Role.INSPECTOR and scope.townships == ["玉山镇"] and scope.enterprise is None, scope
    codes = [x.credit_code for x in wang.enterprises()]
    assert A in codes and D not in codes, codes
    assert all(x.township == "玉山镇" for x in wang.enterprises())
    first = wang.enterprises()[0]
    assert isinstance(first.risk_colour, p.RiskColour)
    # The first enterprise offered can be inspected (no R2 surprise).
    wang.start_inspection("fire-safety", first.credit_code, [], False, p.InspectionSource.ROUTINE, None)
    escope = ent.scope()
    assert escope.role == p.Role.ENTERPRISE and escope.enterprise == A and escope.townships == [], escope
    assert [x.credit_code for x in ent.enterprises()] == [A]
    people = {x.id: x.role for x in ent.people()}
    assert "ent-a" in people and "insp-wang" in people, people
    assert "ent-b" not in people and "ent-d" not in people, people
    assert people["insp-wang"] == p.Role.INSPECTOR
    # An enrolled tablet does not even receive what is out of scope.
    e = expect(p.PaichaError.NotFound, wang.start_inspection, "fire-safety", D, [], False,
               p.InspectionSource.ROUTINE, None)
    assert str(e) == f"not found: enterprise {D}", str(e)
    # A tablet holding the whole demo district still offers only the user's scope (R2).
    demo = p.PaichaStore.open(os.path.join(WORK, "demo-district"), "py-demo")
    demo.load_demo_district()
    demo.set_user("insp-wang")
    assert D not in [x.credit_code for x in demo.enterprises()]
    assert demo.enterprises()[0].township == "玉山镇"
    e = expect(p.PaichaError.Forbidden, demo.start_inspection, "fire-safety", D, [], False,
               p.InspectionSource.ROUTINE, None)
    assert str(e).startswith("R2: "), str(e)
    demo.set_user("ent-a")
    assert [x.credit_code for x in demo.enterprises()] == [A]
    assert not {"ent-b", "ent-d"} & {x.id for x in demo.people()}
    demo.set_user("admin-xu")
    assert D in [x.credit_code for x in demo.enterprises()] and demo.scope().whole_district


def test_typed_answers_source_location_and_completion():
    wang = tablets["wang"]
    gps = p.GpsLocation(lat=31.38, lon=120.98, accuracy_m=5.0)
    i = wang.start_inspection("dust-explosion", A, ["insp-li"], True, p.InspectionSource.SPECIAL_CAMPAIGN, gps)
    assert i.source == p.InspectionSource.SPECIAL_CAMPAIGN and i.location == gps, i
    again = wang.inspection(i.id)
    assert again.source == p.InspectionSource.SPECIAL_CAMPAIGN and again.location == gps and not again.completed
    e = expect(p.PaichaError.InvalidInput, wang.start_inspection, "dust-explosion", A, [], False,
               p.InspectionSource.ROUTINE, p.GpsLocation(lat=131.0, lon=120.0, accuracy_m=None))
    assert str(e).startswith("location: "), str(e)
    items = wang.inspection_items(i.id)
    # The latest version of the template, pinned (R3): 15 items since dust-explosion v2.
    assert len(items) == 15 and all(x.answer is None for x in items)
    codes = [x.code for x in items]
    kinds = {x.code: x.kind for x in items}
    assert kinds["DE-01"] == p.AnswerKind.COMPLIANCE(), kinds["DE-01"]
    de08 = kinds["DE-08"]
    assert de08.is_NUMBER() and de08.unit == "mm" and de08.max == 1.0 and de08.min is None, de08
    # A plain string is no answer at all: the bindings refuse it before the library sees it.
    try:
        wang.answer(i.id, "DE-01", "yes", "", [])
        raise AssertionError("a string answer was accepted")
    except (TypeError, ValueError, AttributeError) as err:
        assert not isinstance(err, p.PaichaError)
    # An answer of another kind than the item's: InvalidInput naming the item and the kind expected.
    e = expect(p.PaichaError.InvalidInput, wang.answer, i.id, "DE-01", p.AnswerValue.NUMBER(value=3.0), "", [])
    assert str(e).startswith("answer: item DE-01 expects conforms / does_not_conform / na"), str(e)
    e = expect(p.PaichaError.InvalidInput, wang.answer, i.id, "DE-08", p.AnswerValue.CONFORMS(), "", [])
    assert "item DE-08 expects a number in mm" in str(e), str(e)
    e = expect(p.PaichaError.InvalidInput, wang.answer, i.id, "DE-08", p.AnswerValue.NUMBER(value=math.nan), "", [])
    assert str(e).startswith("answer: "), str(e)
    e = expect(p.PaichaError.InvalidInput, wang.answer, i.id, "DE-99", p.AnswerValue.CONFORMS(), "", [])
    assert str(e).startswith("item: ") and "DE-99" in str(e), str(e)
    wang.answer(i.id, "DE-08", p.AnswerValue.NUMBER(value=3.5), "积尘约3.5毫米", [])
    # One item answered: completion is refused, listing all the others in checklist order (R4).
    e = expect(p.PaichaError.Forbidden, wang.complete_inspection, i.id)
    msg = str(e)
    assert msg.startswith("R4: ") and ", ".join(c for c in codes if c != "DE-08") + ";" in msg, msg
    assert "DE-08" not in msg, msg
    wang.answer(i.id, "DE-03", p.AnswerValue.DOES_NOT_CONFORM(), "无泄爆片", [jpeg("de-03")])
    wang.answer(i.id, "DE-05", p.AnswerValue.CONFORMS(), "", [])
    for code in [c for c in codes if c not in ("DE-03", "DE-05", "DE-08")]:
        wang.answer(i.id, code, p.AnswerValue.NOT_APPLICABLE(), "", [])
    items = {x.code: x for x in wang.inspection_items(i.id)}
    assert items["DE-08"].answer == p.AnswerValue.NUMBER(value=3.5) and items["DE-08"].finding
    assert items["DE-08"].note == "积尘约3.5毫米"
    assert items["DE-01"].answer == p.AnswerValue.NOT_APPLICABLE() and not items["DE-01"].finding
    # The answer's photo is listed with its item, and shown from the store.
    assert len(items["DE-03"].photos) == 1 and items["DE-01"].photos == []
    assert wang.photo_bytes(items["DE-03"].photos[0]).endswith(b"de-03")
    done = wang.complete_inspection(i.id)
    assert sorted(f.item_code for f in done.findings) == ["DE-03", "DE-08"], done
    assert wang.inspection(i.id).completed
    wang.sync(None, None)  # the server accepts the completion: every item is answered
    assert wang.refused_edits() == []


def test_major_hidden_danger_through_two_level_closure():
    wang, ent, chen = tablets["wang"], tablets["ent"], tablets["chen"]
    admin_tab = server.tablet("py-admin", "admin-xu")
    h = wang.report_hazard(p.NewHazardInput(
        enterprise=A, inspection_id=None, item_code=None, description="除尘系统未设泄爆", location="抛光车间",
        level=p.Level.GENERAL, on_site=False, before_photo_paths=[jpeg("m1")], required_measures="加装泄爆装置",
        responsible_person="", co_inspectors=["insp-li"], deadline=None))
    # An inspector cannot report it major without a criterion of a checklist item (R13).
    e = expect(p.PaichaError.Forbidden, wang.report_hazard, p.NewHazardInput(
        enterprise=A, inspection_id=None, item_code=None, description="自称重大", location="",
        level=p.Level.MAJOR, on_site=False, before_photo_paths=[jpeg("m0")], required_measures="",
        responsible_person="", co_inspectors=["insp-li"], deadline=None))
    assert str(e).startswith("R13: "), str(e)
    wang.sync(None, None)
    chen.sync(None, None)
    h = chen.change_level(h.id, p.Level.MAJOR, "涉爆粉尘重大隐患")
    assert h.plan_missing == ["governance plan"]
    chen.sync(None, None)
    ent.sync(None, None)
    e = expect(p.PaichaError.Forbidden, ent.submit_evidence, h.id, "已整改", [jpeg("m2")])
    assert str(e).startswith("R7: "), str(e)
    plan = p.GovernancePlanInput(objectives="消除粉尘爆炸隐患", methods="加装泄爆片", funds_and_materials="20万元",
                                 responsible="设备部", time_limits="30日内", safety_and_emergency="停用并制定预案")
    assert ent.submit_plan(h.id, plan).plan_missing == []
    ent.submit_evidence(h.id, "已整改", [jpeg("m2")])
    ent.request_resumption(h.id, "申请复产")
    ent.sync(None, None)
    admin_tab.sync(None, None)
    admin_tab.list_for_supervision(h.id, p.ListingLevel.COUNTY, "县级挂牌督办")
    admin_tab.sync(None, None)
    chen.sync(None, None)
    chen.suspend(h.id, "2026-11-01", "2027-01-31", "停产整改")
    assert chen.review(h.id, p.Decision.APPROVE, "同意报区核销").status == p.HazardStatus.PENDING_VERIFICATION
    chen.sync(None, None)
    admin_tab.sync(None, None)
    assert [x.id for x in admin_tab.review_queue()] == [h.id]
    done = admin_tab.verify(h.id, p.Decision.APPROVE, "核销")
    assert done.status == p.HazardStatus.CLOSED and done.closure == p.ClosureKind.VERIFIED
    admin_tab.sync(None, None)
    wang.sync(None, None)
    assert wang.hazard(h.id).status == p.HazardStatus.CLOSED


def pdf_text(path):
    """The text of a PDF, as pdftotext (poppler-utils) extracts it, without white space."""
    with open(path, "rb") as f:
        assert f.read(5) == b"%PDF-", path
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", path, "-"], check=True, capture_output=True, text=True)
    return re.sub(r"\s+", "", out.stdout)


def test_orders_numbered_offline_on_two_tablets_opinion_and_printing():
    wang, ent, chen = tablets["wang"], tablets["ent"], tablets["chen"]
    li = server.tablet("py-li", "insp-li")
    year = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).year

    def hazard(description):
        return wang.report_hazard(p.NewHazardInput(
            enterprise=A, inspection_id=None, item_code=None, description=description, location="三号车间",
            level=None, on_site=False, before_photo_paths=[jpeg("o-" + description)], required_measures="立即整改",
            responsible_person="", co_inspectors=["insp-li"], deadline=None))

    h1, h2, h3 = hazard("配电柜门缺失"), hazard("气瓶未固定"), hazard("警示标志缺失")
    wang.sync(None, None)
    li.sync(None, None)
    # Offline on both tablets: each takes the first number of its own sequence (R15).
    o1 = wang.issue_order([h1.id], ["insp-li"],
                          [p.SignatureInput(capacity=p.SignerCapacity.INSPECTOR, signer="insp-wang",
                                            image_path=jpeg("sig-wang"))])
    assert o1.number.endswith(f"〔{year}〕py-wang-001号"), o1.number
    parts = o1.number_parts
    assert (parts.year, parts.series, parts.seq) == (year, "py-wang", 1), parts
    assert o1.number == f"{parts.prefix}〔{year}〕py-wang-001号", o1.number
    assert o1.enterprise == A and o1.enterprise_name == h1.enterprise_name, o1
    assert [(x.hazard_id, x.deadline, x.description) for x in o1.hazards] == [(h1.id, h1.deadline, "配电柜门缺失")]
    assert {x.id for x in o1.inspectors} == {"insp-wang", "insp-li"}, o1.inspectors
    assert all(x.certificate_no for x in o1.inspectors), o1.inspectors
    assert o1.issued_by == "insp-wang" and o1.device_id == "py-wang" and o1.issued_at_ms > 0
    assert not o1.voided and o1.void_reason is None
    assert [s.capacity for s in o1.signatures] == [p.SignerCapacity.INSPECTOR]
    o2 = li.issue_order([h2.id], ["insp-wang"], [])
    assert o2.number.endswith(f"〔{year}〕py-li-001号"), o2.number
    assert o2.number_parts.prefix == parts.prefix and o2.number != o1.number
    # A hidden danger is on one order in force at a time (§4).
    e = expect(p.PaichaError.Forbidden, wang.issue_order, [h1.id], ["insp-li"], [])
    assert str(e).startswith("§4: ") and o1.number in str(e), str(e)
    # An order issued in error is voided with a reason; its number stays used, explained.
    o3 = wang.issue_order([h3.id], ["insp-li"], [])
    assert o3.number_parts.seq == 2, o3.number
    e = expect(p.PaichaError.Forbidden, wang.void_order, o3.number, " ")
    assert str(e).startswith("R15: "), str(e)
    voided = wang.void_order(o3.number, "企业名称打印错误")
    assert voided.voided and voided.void_reason == "企业名称打印错误" and voided.voided_by == "insp-wang"
    # Both tablets sync: every number is known everywhere and none clashes.
    for t in (wang, li, wang, chen):
        t.sync(None, None)
    assert wang.refused_edits() == [] and li.refused_edits() == []
    numbers = [o.number for o in wang.orders(None)]
    assert sorted(numbers) == sorted([o1.number, o2.number, o3.number]) and len(set(numbers)) == 3, numbers
    assert [o.id for o in chen.orders(h1.id)] == [o1.id]
    assert wang.order(o2.number).id == o2.id and li.order(o1.number).issued_by == "insp-wang"
    seqs = {s.series: s for s in chen.number_sequences()}
    assert set(seqs) == {"py-wang", "py-li"}, seqs
    assert [(n.seq, n.state) for n in seqs["py-wang"].numbers] == [(1, p.NumberState.ISSUED), (2, p.NumberState.VOIDED)]
    assert seqs["py-wang"].numbers[0].order_ids == [o1.id] and seqs["py-wang"].numbers[0].number == o1.number
    assert "企业名称打印错误" in seqs["py-wang"].numbers[1].explanation, seqs["py-wang"].numbers[1]
    assert [(n.number, n.state) for n in seqs["py-li"].numbers] == [(o2.number, p.NumberState.ISSUED)]
    assert all(s.year == year for s in seqs.values())

    # Printed offline, in the font the app names, to the path it names.
    out = os.path.join(WORK, "order.pdf")
    wang.order_pdf(o1.number, FONT, out)
    text = pdf_text(out)
    assert o1.number in text and o1.enterprise_name in text, text[:400]
    assert not os.path.exists(out + ".part")
    e = expect(p.PaichaError.InvalidInput, wang.order_pdf, o1.id, os.path.join(WORK, "no-such-font.ttc"),
               os.path.join(WORK, "x.pdf"))
    assert str(e).startswith("font_path: ") and "no-such-font.ttc" in str(e), str(e)
    e = expect(p.PaichaError.InvalidInput, wang.order_pdf, o1.id, jpeg("not-a-font"), os.path.join(WORK, "x.pdf"))
    assert str(e).startswith("font_path: "), str(e)
    e = expect(p.PaichaError.InvalidInput, wang.order_pdf, o1.id, "", os.path.join(WORK, "x.pdf"))
    assert str(e).startswith("font_path: "), str(e)
    assert not os.path.exists(os.path.join(WORK, "x.pdf"))
    e = expect(p.PaichaError.InvalidInput, wang.order_pdf, o1.id, FONT, os.path.join(WORK, "no-dir", "x.pdf"))
    assert str(e).startswith("out_path: "), str(e)
    e = expect(p.PaichaError.NotFound, wang.order_pdf, "no-such-order", FONT, out)
    assert str(e).startswith("not found: order"), str(e)

    # The enterprise submits evidence; the supervisor's review opinion cites the order.
    ent.sync(None, None)
    assert [o.number for o in ent.orders(None)] and o1.number in [o.number for o in ent.orders(None)]
    ent.submit_evidence(h1.id, "已加装柜门", [jpeg("o-after")])
    ent.sync(None, None)
    wang.sync(None, None)
    chen.sync(None, None)
    e = expect(p.PaichaError.Forbidden, wang.issue_opinion, o1.number,
               [p.HazardOpinionInput(hazard_id=h1.id, decision=p.Decision.APPROVE, opinion="自己复查")], [])
    assert str(e).startswith("R8: "), str(e)
    op = chen.issue_opinion(o1.number, [
        p.HazardOpinionInput(hazard_id=h1.id[:8], decision=p.Decision.APPROVE, opinion="整改到位")], [
        p.SignatureInput(capacity=p.SignerCapacity.REVIEWER, signer="sup-chen", image_path=jpeg("sig-chen")),
        p.SignatureInput(capacity=p.SignerCapacity.ENTERPRISE_REPRESENTATIVE, signer="张厂长",
                         image_path=jpeg("sig-rep"))])
    assert op.order_id == o1.id and op.order_number == o1.number and op.reviewed_by == "sup-chen", op
    assert [(x.hazard_id, x.decision) for x in op.opinions] == [(h1.id, p.Decision.APPROVE)], op.opinions
    assert chen.hazard(h1.id).status == p.HazardStatus.CLOSED
    assert [x.id for x in chen.opinions(o1.number)] == [op.id] and chen.opinion(op.id[:8]) == op
    e = expect(p.PaichaError.Forbidden, chen.issue_opinion, o3.number,
               [p.HazardOpinionInput(hazard_id=h3.id, decision=p.Decision.APPROVE, opinion="x")], [])
    assert str(e).startswith("§4: ") and "voided" in str(e), str(e)
    opinion_pdf = os.path.join(WORK, "opinion.pdf")
    chen.opinion_pdf(op.id, FONT, opinion_pdf)
    assert o1.number in pdf_text(opinion_pdf)
    case = os.path.join(WORK, "case.pdf")
    manifest = chen.case_file_pdf(h1.id, FONT, case)
    assert manifest and all(re.fullmatch(r"[0-9a-f]{64}", m.sha256) for m in manifest), manifest
    assert any(m.held for m in manifest), manifest
    assert o1.number in pdf_text(case)
    chen.sync(None, None)
    wang.sync(None, None)
    assert chen.refused_edits() == [] and wang.opinions(o1.id) == [op]
    assert wang.hazard(h1.id).status == p.HazardStatus.CLOSED


def test_https_with_the_district_ca():
    """A server with a certificate from a test CA (the district's own): a tablet
    that trusts the CA enrolls and syncs over HTTPS, one that does not gets a
    Network error naming the certificate, and a text that is no certificate
    is InvalidInput."""
    certs = os.path.join(WORK, "tls")
    subprocess.run([os.environ["PAICHA_TEST_CA_BIN"], certs], check=True)
    data = os.path.join(WORK, "tls-server")
    subprocess.run([SERVER, "--data", data, "init", "--demo"], check=True, capture_output=True)
    env = dict(os.environ, PAICHA_LOG="warn", PAICHA_SERVER_TLS_CERT=os.path.join(certs, "server.pem"),
               PAICHA_SERVER_TLS_KEY=os.path.join(certs, "server.key"))
    proc = subprocess.Popen([SERVER, "--data", data, "serve", "--listen", "127.0.0.1:0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on https://"), line
        url = line[len("listening on "):]
        stranger = p.PaichaStore.open(os.path.join(WORK, "tls-stranger"), "tls-stranger", os.urandom(32))
        code = admin(data, "device", "add", "--device", "tls-stranger", "--user", "insp-li")["code"]
        e = expect(p.PaichaError.Network, stranger.enroll, url, code)
        assert "certificate" in str(e).lower(), str(e)
        tab = p.PaichaStore.open(os.path.join(WORK, "tls-wang"), "tls-wang", os.urandom(32))
        e = expect(p.PaichaError.InvalidInput, tab.trust_certificate_authority, "not a certificate")
        assert str(e).startswith("ca certificate: "), str(e)
        with open(os.path.join(certs, "ca.pem")) as f:
            tab.trust_certificate_authority(f.read())
        code = admin(data, "device", "add", "--device", "tls-wang", "--user", "insp-wang")["code"]
        assert tab.enroll(url, code).id == "insp-wang"
        tab.sync(None, None)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def files_under(root):
    """Every file under root with its bytes."""
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            path = os.path.join(d, n)
            with open(path, "rb") as f:
                out[path] = f.read()
    return out


def test_encryption_at_rest():
    key = os.urandom(32)
    d = os.path.join(WORK, "encrypted")
    code = admin(server.data, "device", "add", "--device", "py-enc", "--user", "insp-wang")["code"]
    tab = p.PaichaStore.open(d, "py-enc", key)
    assert tab.is_encrypted()
    tab.enroll(server.url, code)
    photo = b"\xff\xd8\xff\xe0" + bytes(i * 7 % 251 for i in range(30000))
    path = os.path.join(WORK, "enc-photo.jpg")
    with open(path, "wb") as f:
        f.write(photo)
    description = "配电箱门未上锁，带电部位裸露"
    h = tab.report_hazard(p.NewHazardInput(
        enterprise=A, inspection_id=None, item_code=None, description=description, location="二车间",
        level=None, on_site=False, before_photo_paths=[path], required_measures="加锁",
        responsible_person="", co_inspectors=["insp-li"], deadline=None, kind=p.HazardKind.MANAGEMENT_DEFECT))
    assert h.kind == p.HazardKind.MANAGEMENT_DEFECT
    sha = h.before_photos[0]
    tab.sync(None, None)
    del tab
    gc.collect()
    before = files_under(d)
    assert len(before) >= 3, before.keys()
    for name, data in before.items():
        for secret in [b"SQLite format 3", description.encode(), b"py-enc", b"insp-wang", A.encode(),
                       photo[1000:1064]]:
            assert secret not in data, (name, secret[:20])
        assert sha not in name, name
    e = expect(p.PaichaError.Locked, p.PaichaStore.open, d, "py-enc", os.urandom(32))
    assert str(e) == "store locked: the key given is not this store's key; nothing was changed", str(e)
    e = expect(p.PaichaError.Locked, p.PaichaStore.open, d, "py-enc")
    assert "encrypted" in str(e), str(e)
    e = expect(p.PaichaError.InvalidInput, p.PaichaStore.open, d, "py-enc", b"short")
    assert str(e).startswith("key: is 5 bytes"), str(e)
    assert files_under(d) == before, "a wrong key changed the store"
    tab = p.PaichaStore.open(d, "py-enc", key)
    assert tab.hazard(h.id).description == description
    assert tab.photo_bytes(sha) == photo
    tab.sync(None, None)
    # An unencrypted store never keeps a device token: refused before the code is spent.
    plain = p.PaichaStore.open(os.path.join(WORK, "plain"), "py-plain")
    assert not plain.is_encrypted()
    code = admin(server.data, "device", "add", "--device", "py-plain", "--user", "insp-wang")["code"]
    e = expect(p.PaichaError.InvalidInput, plain.enroll, server.url, code)
    assert str(e).startswith("key: a device token is kept only in an encrypted store"), str(e)
    plain.load_demo_district()
    plain.set_user("insp-wang")
    kept = plain.report_hazard(p.NewHazardInput(
        enterprise=A, inspection_id=None, item_code=None, description="仓库电气线路私拉乱接", location="",
        level=None, on_site=False, before_photo_paths=[jpeg("plain-before")], required_measures="",
        responsible_person="", co_inspectors=["insp-li"], deadline=None))
    del plain
    gc.collect()
    # Opened with a key, the same store is encrypted in place, its work kept;
    # the code the refused enrollment did not spend enrolls it now.
    enc = p.PaichaStore.open(os.path.join(WORK, "plain"), "py-plain", os.urandom(32))
    assert enc.is_encrypted()
    assert enc.hazard(kept.id).description == "仓库电气线路私拉乱接"
    assert enc.photo_bytes(kept.before_photos[0]).startswith(b"\xff\xd8\xff")
    assert enc.enroll(server.url, code).id == "insp-wang"
    enc.sync(None, None)


def test_network_error_is_retryable():
    server.stop()
    e = expect(p.PaichaError.Network, tablets["wang"].sync, None, None)
    assert str(e).startswith("network unavailable, your work is kept on this tablet: "), str(e)


def main():
    tests = [v for k, v in list(globals().items()) if k.startswith("test_")]
    passed = failed = 0
    for t in tests:
        try:
            t()
            passed += 1
            print(f"ok   {t.__name__}")
        except Exception:
            failed += 1
            print(f"FAIL {t.__name__}")
            traceback.print_exc()
    try:
        server.stop()
    except Exception:
        pass
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
