"""End-to-end test of the Python bindings against the real library and a
real paicha-server on loopback: a hidden danger through the whole loop on
three tablets, the user's scope, typed answers checked against the item's
kind, completion only with every item answered (R4), inspection source and
GPS location, errors arriving as the right exceptions with readable
messages, progress, change notifications (a subscription lives until
unsubscribed) and cancellation.

Run by .ci/run after generating the bindings:
  PAICHA_SERVER_BIN=target/debug/paicha-server PYTHONPATH=target/bindings/python python3 ffi/tests/python/test_bindings.py
Prints "N passed, N failed" and exits non-zero on a failure.
"""

import gc
import json
import math
import os
import subprocess
import sys
import tempfile
import traceback

import paicha_ffi as p

SERVER = os.environ.get("PAICHA_SERVER_BIN", "target/debug/paicha-server")
A = "91320583700000001K"  # demo enterprise in 玉山镇
D = "91320583700000004W"  # demo enterprise in 周市镇, outside 玉山镇's scope
WORK = tempfile.mkdtemp(prefix="paicha-py-")


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
        store = p.PaichaStore.open(os.path.join(WORK, device), device)
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
    assert len(items) == 8 and all(x.answer is None for x in items)
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
    # One item of eight answered: completion is refused, listing the seven others (R4).
    e = expect(p.PaichaError.Forbidden, wang.complete_inspection, i.id)
    msg = str(e)
    assert msg.startswith("R4: ") and "DE-01, DE-02, DE-03, DE-04, DE-05, DE-06, DE-07;" in msg, msg
    assert "DE-08" not in msg, msg
    wang.answer(i.id, "DE-03", p.AnswerValue.DOES_NOT_CONFORM(), "无泄爆片", [])
    wang.answer(i.id, "DE-05", p.AnswerValue.CONFORMS(), "", [])
    for code in ["DE-01", "DE-02", "DE-04", "DE-06", "DE-07"]:
        wang.answer(i.id, code, p.AnswerValue.NOT_APPLICABLE(), "", [])
    items = {x.code: x for x in wang.inspection_items(i.id)}
    assert items["DE-08"].answer == p.AnswerValue.NUMBER(value=3.5) and items["DE-08"].finding
    assert items["DE-08"].note == "积尘约3.5毫米"
    assert items["DE-01"].answer == p.AnswerValue.NOT_APPLICABLE() and not items["DE-01"].finding
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
