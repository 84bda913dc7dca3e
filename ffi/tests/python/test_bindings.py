"""End-to-end test of the Python bindings against the real library and a
real paicha-server on loopback: a hidden danger through the whole loop on
three tablets, errors arriving as the right exceptions, progress, change
notifications and cancellation.

Run by .ci/run after generating the bindings:
  PAICHA_SERVER_BIN=target/debug/paicha-server PYTHONPATH=target/bindings/python python3 ffi/tests/python/test_bindings.py
Prints "N passed, N failed" and exits non-zero on a failure.
"""

import json
import os
import subprocess
import sys
import tempfile
import traceback

import paicha_ffi as p

SERVER = os.environ.get("PAICHA_SERVER_BIN", "target/debug/paicha-server")
A = "91320583700000001K"  # demo enterprise in 玉山镇
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
    chen.review(h.id, False, "缺少检测报告")
    chen.sync(None, None)
    ent.sync(None, None)
    ent.submit_evidence(h.id, "补充检测报告", [jpeg("after2")])
    ent.sync(None, None)
    chen.sync(None, None)
    closed = chen.review(h.id, True, "整改到位")
    assert closed.status == p.HazardStatus.CLOSED and closed.closure == "reviewed"
    chen.sync(None, None)
    wang.sync(None, None)
    ent.sync(None, None)
    histories = [[(e.event_id, e.device_id, e.applied) for e in t.hazard(h.id).history] for t in (wang, ent, chen)]
    assert histories[0] == histories[1] == histories[2], histories
    assert [d for _, d, _ in histories[0]] == ["py-wang", "py-ent", "py-chen", "py-ent", "py-chen"]
    stats = chen.statistics("township")
    assert stats[0].group == "玉山镇" and stats[0].rectification_rate == 1.0


def test_errors_arrive_as_the_right_exceptions():
    wang, ent, chen = tablets["wang"], tablets["ent"], tablets["chen"]
    h = wang.report_hazard(p.NewHazardInput(
        enterprise=A, inspection_id=None, item_code=None, description="灭火器过期", location="",
        level=None, on_site=False, before_photo_paths=[jpeg("b2")], required_measures="",
        responsible_person="", co_inspectors=["insp-li"], deadline=None))
    e = expect(p.PaichaError.Forbidden, wang.review, h.id, True, "自己销号")
    assert e.rule == "R8", e
    e = expect(p.PaichaError.Forbidden, wang.void_hazard, h.id, "x")
    assert e.rule == "R12"
    e = expect(p.PaichaError.InvalidInput, wang.request_extension, h.id, "next week", "x")
    assert e.field == "until"
    e = expect(p.PaichaError.InvalidInput, wang.submit_evidence, h.id, "x", [os.path.join(WORK, "missing.jpg")])
    assert e.field == "photo"
    e = expect(p.PaichaError.NotFound, chen.hazard, "00000000-0000-0000-0000-000000000000")
    assert e.what == "hidden danger"
    e = expect(p.PaichaError.Forbidden, wang.report_hazard, p.NewHazardInput(
        enterprise=A, inspection_id=None, item_code=None, description="x", location="", level=None, on_site=False,
        before_photo_paths=[], required_measures="", responsible_person="", co_inspectors=["insp-li"],
        deadline="2030-01-01"))
    assert e.rule == "R5"
    lonely = p.PaichaStore.open(os.path.join(WORK, "lonely"), "lonely")
    expect(p.PaichaError.NotEnrolled, lonely.review_queue)
    # The store of one device is not opened as another's.
    e = expect(p.PaichaError.InvalidInput, p.PaichaStore.open, os.path.join(WORK, "lonely"), "other-tablet")
    assert e.field == "device_id" and "lonely" in e.reason, e
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
    sub.cancel()
    changes.ids.clear()
    wang.sync(None, None)


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
    assert e.rule == "R13"
    wang.sync(None, None)
    chen.sync(None, None)
    h = chen.change_level(h.id, p.Level.MAJOR, "涉爆粉尘重大隐患")
    assert h.plan_missing == ["governance plan"]
    chen.sync(None, None)
    ent.sync(None, None)
    e = expect(p.PaichaError.Forbidden, ent.submit_evidence, h.id, "已整改", [jpeg("m2")])
    assert e.rule == "R7"
    plan = p.GovernancePlanInput(objectives="消除粉尘爆炸隐患", methods="加装泄爆片", funds_and_materials="20万元",
                                 responsible="设备部", time_limits="30日内", safety_and_emergency="停用并制定预案")
    assert ent.submit_plan(h.id, plan).plan_missing == []
    ent.submit_evidence(h.id, "已整改", [jpeg("m2")])
    ent.request_resumption(h.id, "申请复产")
    ent.sync(None, None)
    admin_tab.sync(None, None)
    admin_tab.list_for_supervision(h.id, "county", "县级挂牌督办")
    admin_tab.sync(None, None)
    chen.sync(None, None)
    chen.suspend(h.id, "2026-11-01", "2027-01-31", "停产整改")
    assert chen.review(h.id, True, "同意报区核销").status == p.HazardStatus.PENDING_VERIFICATION
    chen.sync(None, None)
    admin_tab.sync(None, None)
    assert [x.id for x in admin_tab.review_queue()] == [h.id]
    done = admin_tab.verify(h.id, True, "核销")
    assert done.status == p.HazardStatus.CLOSED and done.closure == "verified"
    admin_tab.sync(None, None)
    wang.sync(None, None)
    assert wang.hazard(h.id).status == p.HazardStatus.CLOSED


def test_network_error_is_retryable():
    server.stop()
    e = expect(p.PaichaError.Network, tablets["wang"].sync, None, None)
    assert "network" in str(e).lower() or e.reason


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
