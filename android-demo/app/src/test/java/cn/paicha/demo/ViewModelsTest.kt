// The inspector's app end to end on the JVM: its view models driven against
// the real library and a real paicha-server, one function per flow of the
// app. Prints "N passed, N failed"; exits non-zero on a failure.
package cn.paicha.demo

import cn.paicha.AnswerKind
import cn.paicha.AnswerValue
import cn.paicha.DueState
import cn.paicha.GpsLocation
import cn.paicha.HazardKind
import cn.paicha.HazardStatus
import cn.paicha.InspectionSource
import cn.paicha.Role
import cn.paicha.SignerCapacity
import cn.paicha.demo.model.*
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import java.io.File
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

private val server = TestServer("server") { data ->
    // An inspector of 玉山镇 who is later moved to 周市镇 (refused edits).
    admin("--data", data, "user", "add", "--id", "insp-qian", "--name", "钱检查", "--role", "inspector",
        "--township", "玉山镇", "--cert", "32058300103")
}

private val tablets = mutableMapOf<String, Tablet>()
private fun tablet(name: String) = tablets.getValue(name)
private var inspectionId = ""
private val raised = mutableListOf<String>()

fun enrollWithACodeThenSignInAgainOffline() {
    val wrong = Tablet("app-wrong")
    val refused = wrong.sessionVm.run { enroll(server.url, "NOTACODE") }
    assertNotNull(refused.problem, "a wrong code is shown as a problem")
    assertNull(refused.user)
    val unreachable = wrong.sessionVm.run { enroll("http://127.0.0.1:9", "ABCDEF") }
    assertStartsWith("network unavailable, your work is kept on this tablet", unreachable.problem?.message)
    wrong.close()

    val wang = enrolled(server, "app-wang", "insp-wang").also { tablets["wang"] = it }
    assertEquals(Role.INSPECTOR, wang.sessionVm.state.value.scope?.role)
    assertEquals(listOf("玉山镇"), wang.sessionVm.state.value.scope?.townships)
    assertTrue(wang.store.isEncrypted(), "an enrolled store is encrypted at rest")
    // The app is closed (store closed with it) and started again: signed in from the store, no network.
    wang.close()
    // Another key (a Keystore that lost its key) does not open the store, and changes nothing.
    val otherKey = Tablet("app-wang", KeyProvider { ByteArray(32) { 42 } })
    assertStartsWith("store locked: ", otherKey.sessionVm.run { resume() }.problem?.message)
    otherKey.close()
    val again = Tablet("app-wang").also { tablets["wang"] = it }
    val resumed = again.sessionVm.ok { resume() }
    assertEquals("insp-wang", resumed.user)
    // A tablet never enrolled: signed out, no problem; the screen shows the enrollment form.
    val fresh = Tablet("app-fresh")
    val out = fresh.sessionVm.ok { resume() }
    assertNull(out.user)
    fresh.close()
    // The store is closed with the app: a screen acting after that shows a problem, never crashes.
    val closed = Tablet("app-closed")
    closed.session.close()
    assertNotNull(closed.sessionVm.run { resume() }.problem)
}

fun enrollOverHttpsTrustingTheDistrictCa() {
    val caBin = System.getenv("PAICHA_TEST_CA_BIN") ?: "target/debug/test-ca"
    val certs = File(work, "tls")
    val p = ProcessBuilder(caBin, certs.path).redirectErrorStream(true).start()
    val out = p.inputStream.bufferedReader().readText()
    check(p.waitFor() == 0) { "test-ca failed: $out" }
    val https = TestServer("tls-server", File(certs, "server.pem") to File(certs, "server.key"))
    try {
        assertStartsWith("https://", https.url)
        val stranger = Tablet("tls-stranger")
        val refused = stranger.sessionVm.run { enroll(https.url, https.code("tls-stranger", "insp-li")) }
        assertContains(refused.problem?.message?.lowercase() ?: "", "certificate")
        stranger.close()
        val t = Tablet("tls-wang")
        val notPem = t.sessionVm.run { enroll(https.url, https.code("tls-wang", "insp-wang"), "not a certificate") }
        assertStartsWith("ca certificate: ", notPem.problem?.message)
        val pem = File(certs, "ca.pem").readText()
        val s = t.sessionVm.ok { enroll(https.url, https.code("tls-wang", "insp-wang"), pem) }
        assertEquals("insp-wang", s.user)
        SyncViewModel(t.store, io, ui).use { assertNotNull(it.ok { sync() }.last) }
        t.close()
    } finally {
        https.stop()
    }
}

fun offlineDemoSignInWithoutAServer() {
    val t = Tablet("app-demo")
    assertEquals("sup-chen", t.sessionVm.ok { signInDemo("sup-chen") }.user)
    SyncViewModel(t.store, io, ui).use { sync ->
        assertStartsWith("this tablet is not enrolled", sync.run { sync() }.problem?.message)
    }
    t.close()
}

fun pickerShowsEnterprisesInScopeWithInspectionsDue() {
    EnterprisePickerViewModel(tablet("wang").store, io, ui).use { picker ->
        val s = picker.ok { refresh() }
        assertTrue(s.due.isNotEmpty(), "enterprises due")
        assertTrue(s.due.all { it.township == "玉山镇" }, s.due.toString())
        assertTrue(s.due.none { it.creditCode == CHEMICALS }, "周市镇 is outside the inspector's scope (R2)")
        // Most urgent first: overdue, then due, then not due.
        val rank = s.due.map { d -> when (d.state) { is DueState.Overdue -> 0; is DueState.Due -> 1; is DueState.NotDue -> 2 } }
        assertEquals(rank.sorted(), rank)
        val colleagues = s.colleagues.map { it.id }
        assertTrue("insp-li" in colleagues && "insp-wang" !in colleagues, "co-inspectors: the other inspectors: $colleagues")
        assertTrue(s.colleagues.all { it.role == Role.INSPECTOR })
        val chosen = picker.ok { select(ALUMINIUM) }
        assertEquals(ALUMINIUM, chosen.selected?.creditCode)
        val ids = chosen.templates.map { it.id }
        assertEquals(setOf("al-mg-machining", "dust-explosion"), ids.toSet())
        assertTrue(chosen.templates.all { it.sector in (chosen.selected?.sectors ?: emptyList()) })
        assertContains(picker.run { select(CHEMICALS) }.problem?.message ?: "", "not in your scope")
    }
}

fun checklistOfflineWithTypedAnswersAndPhotos() {
    ChecklistViewModel(tablet("wang").store, io, ui).use { c ->
        val gps = GpsLocation(lat = 31.38, lon = 120.98, accuracyM = 5.0)
        val started = c.ok { start("dust-explosion", ALUMINIUM, listOf("insp-li"), true, InspectionSource.ROUTINE, gps) }
        inspectionId = started.inspection?.id ?: error("no inspection started")
        assertEquals(2u, started.inspection?.templateVersion, "the latest version, pinned (R3)")
        assertEquals(15, started.unanswered.size)
        val de08 = started.items.first { it.code == "DE-08" }.kind
        assertEquals(AnswerKind.Number("mm", null, 1.0), de08)
        c.ok { answer("DE-01", AnswerValue.Conforms) }
        c.ok { answer("DE-07", AnswerValue.DoesNotConform, "除尘器停用") }
        // The camera's picture goes with the answer; the answer stays "does not conform".
        val photographed = c.ok { attachPhoto("DE-07", jpeg("de07-duct")) }
        assertEquals(AnswerValue.DoesNotConform, photographed.items.first { it.code == "DE-07" }.answer)
        assertEquals("除尘器停用", photographed.items.first { it.code == "DE-07" }.note)
        c.ok { answer("DE-08", AnswerValue.Number(3.5), "积尘约3.5毫米") }
        // A value of the wrong kind is refused and shown; the item keeps its answer.
        val wrongKind = c.run { answer("DE-08", AnswerValue.Conforms) }
        assertStartsWith("answer: item DE-08 expects", wrongKind.problem?.message)
        assertEquals(AnswerValue.Number(3.5), wrongKind.items.first { it.code == "DE-08" }.answer)
        assertStartsWith("answer: item DE-02 expects", c.run { answer("DE-02", AnswerValue.Text("有")) }.problem?.message)
        assertStartsWith("answer: ", c.run { answer("DE-02", AnswerValue.Photo) }.problem?.message)
        // R4: not complete before every item is answered; the problem names the rule and the items left.
        val early = c.run { complete() }
        assertEquals("R4", early.problem?.rule)
        assertTrue(early.problem?.message?.contains("DE-02") == true, early.problem?.message)
        assertEquals(12, early.unanswered.size)
        assertFalse(early.inspection?.completed ?: true)
        // Not applicable is an answer.
        for (item in early.unanswered) c.ok { answer(item.code, AnswerValue.NotApplicable) }
        val done = c.ok { complete() }
        assertEquals(true, done.inspection?.completed)
        assertEquals(setOf("DE-07", "DE-08"), done.completion?.findings?.map { it.itemCode }?.toSet())
        assertEquals(setOf("DE-07", "DE-08"), done.nonConforming.map { it.code }.toSet())
    }
    // After the app was killed: the inspection reopens from its id.
    ChecklistViewModel(tablet("wang").store, io, ui).use { c ->
        assertTrue(c.ok { open(inspectionId) }.items.all { it.answer != null })
    }
}

fun findingsRaiseHiddenDangersAndTheOrderIsPrinted() {
    val store = tablet("wang").store
    FindingsViewModel(store, io, ui).use { f ->
        val loaded = f.ok { load(inspectionId) }
        assertEquals(setOf("DE-07", "DE-08"), loaded.pending.map { it.code }.toSet())
        val first = f.ok {
            raise("DE-07", "一号车间", listOf(jpeg("de07-before")), "恢复除尘器运行", listOf("insp-li"), kind = HazardKind.MANAGEMENT_DEFECT)
        }
        assertEquals(HazardKind.MANAGEMENT_DEFECT, first.raised.single().kind)
        val after = f.ok { raise("DE-08", "一号车间地面", listOf(jpeg("de08-before")), "清理积尘", listOf("insp-li")) }
        assertTrue(after.pending.isEmpty(), after.pending.toString())
        assertEquals(2, after.raised.size)
        assertEquals(HazardKind.UNSAFE_CONDITION, after.raised[1].kind, "the kind left out: an unsafe condition")
        assertTrue(after.raised.all { it.status == HazardStatus.RECTIFYING && it.enterprise == ALUMINIUM })
        raised += after.raised.map { it.id }
    }
    check(File(FONT).exists()) { "$FONT is missing: scripts/install-tools.sh installs fonts-noto-cjk" }
    OrderViewModel(store, FONT, File(work, "print"), io, ui).use { o ->
        // §4: an order needs two certified inspectors.
        assertNotNull(o.run { issue(raised, emptyList()) }.problem)
        // A representative's signature needs their name.
        assertStartsWith("representative: ", o.run { issue(raised, listOf("insp-li"), null, " ", jpeg("sig-rep")) }.problem?.message)
        val issued = o.ok { issue(raised, listOf("insp-li"), jpeg("sig-wang"), "张厂长", jpeg("sig-rep")) }
        val order = issued.order ?: error("no order in the state")
        assertTrue(order.number.endsWith("app-wang-001号"), order.number)
        assertEquals(raised.toSet(), order.hazards.map { it.hazardId }.toSet())
        assertEquals(setOf("insp-wang", "insp-li"), order.inspectors.map { it.id }.toSet())
        assertTrue(order.inspectors.all { !it.certificateNo.isNullOrBlank() })
        assertEquals(
            setOf(SignerCapacity.INSPECTOR to "insp-wang", SignerCapacity.ENTERPRISE_REPRESENTATIVE to "张厂长"),
            order.signatures.map { it.capacity to it.signer }.toSet(),
        )
        val printed = o.ok { print() }
        val pdf = File(printed.pdfPath ?: error("no PDF path in the state"))
        assertEquals("%PDF", pdf.readBytes().take(4).toByteArray().toString(Charsets.US_ASCII))
    }
}

fun enterpriseSubmitsEvidenceAndSupervisorReviews() {
    SyncViewModel(tablet("wang").store, io, ui).use { assertNull(it.ok { sync() }.problem) }
    val ent = enrolled(server, "app-ent", "ent-a").also { tablets["ent"] = it }
    SyncViewModel(ent.store, io, ui).use { it.ok { sync() } }
    val target = raised[1]
    EvidenceViewModel(ent.store, io, ui).use { e ->
        val list = e.ok { refresh() }
        assertTrue(list.toRectify.map { it.id }.containsAll(raised), list.toRectify.toString())
        assertTrue(list.toRectify.all { it.enterprise == ALUMINIUM }, "the enterprise sees its own records only (R2)")
        assertNotNull(e.run { submit("x", emptyList()) }.problem, "no record chosen: a problem, not a crash")
        e.ok { select(target) }
        val sent = e.ok { submit("已清理积尘并建立清扫制度", listOf(jpeg("de08-after"))) }
        assertEquals(HazardStatus.PENDING_REVIEW, sent.selected?.status)
        assertFalse(target in sent.toRectify.map { it.id })
    }
    SyncViewModel(ent.store, io, ui).use { it.ok { sync() } }

    val chen = enrolled(server, "app-chen", "sup-chen").also { tablets["chen"] = it }
    SyncViewModel(chen.store, io, ui).use { it.ok { sync() } }
    ReviewViewModel(chen.store, io, ui).use { r ->
        assertEquals(listOf(target), r.ok { refresh() }.queue.map { it.id })
        assertEquals(1u, r.ok { select(target) }.selected?.evidenceCount)
        // R8: a rejection needs a reason; the refusal is shown with its rule.
        assertEquals("R8", r.run { decide(target, false, "") }.problem?.rule)
        val closed = r.ok { decide(target, true, "整改到位") }
        assertEquals(HazardStatus.CLOSED, closed.decided?.status)
        assertTrue(closed.queue.isEmpty())
    }
    // The inspector may not review (R8): shown, not crashed.
    ReviewViewModel(tablet("wang").store, io, ui).use { r ->
        assertEquals("R8", r.run { decide(raised[0], true, "自己销号") }.problem?.rule)
    }
    // The supervisor looks at the before photo, downloaded with the record.
    HazardDetailViewModel(chen.store, io, ui).use { d ->
        val h = d.ok { open(target) }.hazard ?: error("no record")
        val sha = h.beforePhotos.firstOrNull() ?: error("no before photo")
        val photo = d.ok { showPhoto(sha) }.photo ?: error("no photo bytes")
        assertEquals(listOf(0xFF, 0xD8, 0xFF), photo.take(3).map { it.toInt() and 0xFF })
        assertNotNull(d.run { showPhoto("0".repeat(64)) }.problem)
    }
    SyncViewModel(chen.store, io, ui).use { assertTrue(it.ok { sync() }.refused == 0) }
}

/** Reports [n] hidden dangers on [t] at ALUMINIUM without an inspection. */
private fun reportSome(t: Tablet, n: Int, tag: String): List<String> = (1..n).map { k ->
    t.store.reportHazard(
        cn.paicha.NewHazardInput(
            enterprise = ALUMINIUM, inspectionId = null, itemCode = null, description = "$tag $k: 安全出口堵塞",
            location = "仓库", level = null, onSite = false, beforePhotoPaths = listOf(jpeg("$tag-$k")),
            requiredMeasures = "清理通道", responsiblePerson = "", coInspectors = listOf("insp-li"), deadline = null,
        )
    ).id
}

fun syncWithProgressAndCancel() {
    val wang = tablet("wang")
    val made = reportSome(wang, 3, "cancel")
    SyncViewModel(wang.store, io, ui).use { sync ->
        // Cancelled before the sync got going: the user pressed Cancel right after Sync.
        val pressed = runBlocking { withContext(ui) { sync.sync().also { sync.cancel() } } }
        // The screen observes the state; the test also waits for the job, so the next sync is a new one.
        val before = sync.awaitState { it.cancelled && !it.loading }
        runBlocking { withTimeout(TIMEOUT_MS) { pressed.join() } }
        assertStartsWith("sync cancelled", before.problem?.message)
        assertFalse(before.running)
        // Cancelled while syncing: Cancel pressed on the first progress report.
        MainThreadGuard.onFirstProgress = { runBlocking(ui) { sync.cancel() } }
        val during = sync.run { sync() }
        assertTrue(during.cancelled, "cancelled while syncing: $during")
        assertEquals("Cancelled", MainThreadGuard.syncOutcomes.last(), "the library's sync stopped")
        assertNotNull(during.progress, "progress was reported before the cancel")
        // Nothing lost: the next sync uploads what was left, with progress.
        MainThreadGuard.onFirstProgress = null
        val done = sync.ok { sync() }
        assertFalse(done.cancelled)
        assertNotNull(done.progress)
        assertNotNull(done.last)
    }
    val chen = tablet("chen")
    SyncViewModel(chen.store, io, ui).use { it.ok { sync() } }
    val seen = chen.store.listHazards(null, ALUMINIUM).map { it.id }
    assertTrue(seen.containsAll(made), "every record reached the supervisor")

    // The sync screen closed for good while syncing: the library is told to stop, nothing is lost.
    val more = reportSome(wang, 2, "closed")
    val closing = SyncViewModel(wang.store, io, ui)
    MainThreadGuard.onFirstProgress = { closing.close() }
    val job = runBlocking { withContext(ui) { closing.sync() } }
    runBlocking { withTimeout(TIMEOUT_MS) { job.join() } }
    assertTrue(job.isCancelled, "the screen's work is cancelled with it")
    assertEquals("Cancelled", MainThreadGuard.syncOutcomes.last(), "the library's sync stopped")
    SyncViewModel(wang.store, io, ui).use { it.ok { sync() } }
    SyncViewModel(chen.store, io, ui).use { it.ok { sync() } }
    assertTrue(chen.store.listHazards(null, ALUMINIUM).map { it.id }.containsAll(more), "nothing lost")
}

fun conflictFromTwoTabletsIsShownAndResolved() {
    val wang = tablet("wang")
    val li = enrolled(server, "app-li", "insp-li").also { tablets["li"] = it }
    val h = raised[0]
    SyncViewModel(li.store, io, ui).use { it.ok { sync() } }
    // Both tablets offline correct the same record's description.
    HazardDetailViewModel(wang.store, io, ui).use { d ->
        d.ok { open(h) }
        assertEquals("王: 除尘器停用一天", d.ok { edit(description = "王: 除尘器停用一天") }.hazard?.description)
    }
    HazardDetailViewModel(li.store, io, ui).use { d ->
        d.ok { open(h) }
        d.ok { edit(description = "李: 除尘器停用两天") }
    }
    for (t in listOf(wang, li, wang)) SyncViewModel(t.store, io, ui).use { it.ok { sync() } }
    val chen = tablet("chen")
    val counted = SyncViewModel(chen.store, io, ui).use { it.ok { sync() } }
    assertTrue(counted.conflicts >= 1, "the sync screen counts the conflict")
    ConflictsViewModel(chen.store, io, ui).use { c ->
        assertEquals(listOf(h), c.ok { refresh() }.conflicts.map { it.id })
        val open = c.ok { select(h) }.selected ?: error("no record")
        assertTrue(open.conflicts.isNotEmpty())
        assertTrue(open.conflicts.all { it.message.isNotBlank() })
        // Both edits are in the history: nothing was lost.
        assertTrue(open.history.count { it.action == "edit" } >= 2, open.history.map { it.action }.toString())
        val settled = c.ok { resolve("以李检查现场复核的描述为准") }
        assertTrue(settled.conflicts.isEmpty())
        assertTrue(settled.selected?.conflicts?.isEmpty() == true)
    }
    // Every tablet reaches the same state: the conflict is settled on the inspector's tablet too.
    SyncViewModel(chen.store, io, ui).use { it.ok { sync() } }
    SyncViewModel(wang.store, io, ui).use { assertEquals(0, it.ok { sync() }.conflicts) }
    ConflictsViewModel(wang.store, io, ui).use { assertTrue(it.ok { refresh() }.conflicts.isEmpty()) }
}

fun refusedEditIsShown() {
    val qian = enrolled(server, "app-qian", "insp-qian").also { tablets["qian"] = it }
    SyncViewModel(qian.store, io, ui).use { it.ok { sync() } }
    // Offline, the inspector records a hidden danger in 玉山镇; meanwhile the district moves them to 周市镇.
    val made = reportSome(qian, 1, "qian").single()
    admin("--data", server.data, "user", "add", "--id", "insp-qian", "--name", "钱检查", "--role", "inspector",
        "--township", "周市镇", "--cert", "32058300103")
    val synced = SyncViewModel(qian.store, io, ui).use { it.ok { sync() } }
    assertEquals(1, synced.refused, "the sync screen counts the refused edit")
    RefusedEditsViewModel(qian.store, io, ui).use { r ->
        val list = r.ok { refresh() }.refused
        assertEquals(listOf(made), list.map { it.recordId })
        assertEquals("R2", list.single().rule)
        assertTrue(list.single().reason.isNotBlank())
    }
}

fun aWeekOfflineThenOneSync() {
    val li = tablet("li")
    val wang = tablet("wang")
    SyncViewModel(li.store, io, ui).use { it.ok { sync() } }
    // The server's clock is the real one and it refuses events dated after its time (R1): the
    // week offline is the seven days before today, walked one day at a time on the tablet's clock.
    val day = 24L * 3600 * 1000
    val start = System.currentTimeMillis() - 8 * day
    val inspections = mutableListOf<String>()
    val hazards = mutableListOf<String>()
    val orders = mutableListOf<String>()
    for (d in 1..7) {
        li.store.setClockForTesting(start + d * day)
        ChecklistViewModel(li.store, io, ui).use { c ->
            val s = c.ok { start("dust-explosion", ALUMINIUM, listOf("insp-wang"), true) }
            inspections += s.inspection?.id ?: error("day $d: no inspection")
            c.ok { answer("DE-07", AnswerValue.DoesNotConform, "第${d}天: 除尘器停用") }
            c.ok { attachPhoto("DE-07", jpeg("week-$d")) }
            c.ok { answer("DE-08", AnswerValue.Number(0.5)) }
            for (item in c.state.value.unanswered) c.ok { answer(item.code, AnswerValue.NotApplicable) }
            assertEquals(listOf("DE-07"), c.ok { complete() }.completion?.findings?.map { it.itemCode })
        }
        FindingsViewModel(li.store, io, ui).use { f ->
            f.ok { load(inspections.last()) }
            hazards += f.ok { raise("DE-07", "第${d}天 二号车间", listOf(jpeg("week-before-$d")), "恢复运行", listOf("insp-wang")) }
                .raised.single().id
        }
        if (d % 2 == 1) OrderViewModel(li.store, FONT, File(work, "week-print"), io, ui).use { o ->
            orders += o.ok { issue(listOf(hazards.last()), listOf("insp-wang")) }.order?.number ?: error("no order")
        }
    }
    // Back in the office: one sync, with progress.
    val synced = SyncViewModel(li.store, io, ui).use { it.ok { sync() } }
    val last = synced.last ?: error("no sync summary")
    assertTrue(last.docsUp >= (inspections.size + hazards.size + orders.size).toULong(), "uploaded ${last.docsUp}")
    assertEquals(0, synced.refused, li.store.refusedEdits().map { it.rule + " " + it.reason }.distinct().toString())
    li.store.setClockForTesting(null)
    // Every record reached the server and the other tablet, in order and whole.
    SyncViewModel(wang.store, io, ui).use { it.ok { sync() } }
    for (id in hazards) HazardDetailViewModel(wang.store, io, ui).use { d ->
        val h = d.ok { open(id) }.hazard ?: error("$id missing on the other tablet")
        assertEquals(1, h.beforePhotos.size)
    }
    for (id in inspections) assertTrue(wang.store.inspection(id).completed, "inspection $id completed on the other tablet")
    OrderViewModel(wang.store, FONT, File(work, "week-print-wang"), io, ui).use { o ->
        for (n in orders) assertEquals(n, o.ok { open(n) }.order?.number)
    }
    assertEquals(orders.size, admin("--data", server.data, "orders").lines().count { line -> orders.any { it in line } })
    assertEquals(listOf(1u, 2u, 3u, 4u), orders.map { n -> wang.store.order(n).numberParts.seq })
}

fun noLibraryCallOnTheMainThread() {
    assertTrue(MainThreadGuard.calls.get() > 100, "the guard saw the view models' calls")
    assertEquals(emptyList(), MainThreadGuard.onMainThread.toList(), "library calls made on the ui thread")
}

fun main() {
    val tests = listOf(
        "enroll with a code, then sign in again offline" to ::enrollWithACodeThenSignInAgainOffline,
        "enroll over HTTPS trusting the district's CA" to ::enrollOverHttpsTrustingTheDistrictCa,
        "offline demo sign-in without a server" to ::offlineDemoSignInWithoutAServer,
        "picker shows enterprises in scope with inspections due" to ::pickerShowsEnterprisesInScopeWithInspectionsDue,
        "checklist offline with typed answers and photos" to ::checklistOfflineWithTypedAnswersAndPhotos,
        "findings raise hidden dangers and the order is printed" to ::findingsRaiseHiddenDangersAndTheOrderIsPrinted,
        "enterprise submits evidence and supervisor reviews" to ::enterpriseSubmitsEvidenceAndSupervisorReviews,
        "sync with progress and cancel" to ::syncWithProgressAndCancel,
        "conflict from two tablets is shown and resolved" to ::conflictFromTwoTabletsIsShownAndResolved,
        "refused edit is shown" to ::refusedEditIsShown,
        "a week offline, then one sync" to ::aWeekOfflineThenOneSync,
        "no library call on the main thread" to ::noLibraryCallOnTheMainThread,
    )
    var passed = 0
    var failed = 0
    for ((name, test) in tests) {
        try {
            test()
            passed++
            println("ok   $name")
        } catch (e: Throwable) {
            failed++
            println("FAIL $name: $e")
            e.printStackTrace()
        }
    }
    tablets.values.forEach { runCatching { it.close() } }
    server.stop()
    println("$passed passed, $failed failed")
    kotlin.system.exitProcess(if (failed == 0) 0 else 1)
}
