// End-to-end test of the Kotlin bindings on the JVM against the real library
// and a real paicha-server on loopback. Run by .ci/run; prints
// "N passed, N failed" and exits non-zero on a failure.

import cn.paicha.*
import java.io.File
import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import kotlin.test.fail

val serverBin: String = System.getenv("PAICHA_SERVER_BIN") ?: "target/debug/paicha-server"
val work: File = Files.createTempDirectory("paicha-kt-").toFile()
const val ENTERPRISE_A = "91320583700000001K"
const val ENTERPRISE_D = "91320583700000004W" // in 周市镇: outside 玉山镇's scope

fun run(vararg args: String): String {
    val p = ProcessBuilder(serverBin, *args).redirectErrorStream(false).start()
    val out = p.inputStream.bufferedReader().readText()
    check(p.waitFor() == 0) { "paicha-server ${args.joinToString(" ")} failed: ${p.errorStream.bufferedReader().readText()}" }
    return out
}

class Server {
    val data = File(work, "server").path
    val process: Process
    val url: String

    init {
        run("--data", data, "init", "--demo")
        process = ProcessBuilder(serverBin, "--data", data, "serve", "--listen", "127.0.0.1:0")
            .redirectError(ProcessBuilder.Redirect.DISCARD).apply { environment()["PAICHA_LOG"] = "warn" }.start()
        val line = process.inputStream.bufferedReader().readLine()
        check(line.startsWith("listening on ")) { line }
        url = line.removePrefix("listening on ")
    }

    fun tablet(device: String, user: String): PaichaStore {
        val json = run("--data", data, "--json", "device", "add", "--device", device, "--user", user)
        val code = Regex("\"code\":\"([A-Z0-9]+)\"").find(json)!!.groupValues[1]
        val store = PaichaStore.open(File(work, device).path, device)
        assertEquals(user, store.enroll(url, code).id)
        return store
    }

    fun stop() {
        process.destroy()
        process.waitFor()
    }
}

fun jpeg(name: String): String {
    val f = File(work, "$name.jpg")
    f.writeBytes(byteArrayOf(0xFF.toByte(), 0xD8.toByte(), 0xFF.toByte(), 0xE0.toByte()) + name.toByteArray())
    return f.path
}

fun newHazard(description: String, photo: String?, deadline: String? = null) = NewHazardInput(
    enterprise = ENTERPRISE_A, inspectionId = null, itemCode = null, description = description, location = "车间",
    level = null, onSite = false, beforePhotoPaths = listOfNotNull(photo), requiredMeasures = "",
    responsiblePerson = "", coInspectors = listOf("insp-li"), deadline = deadline,
)

inline fun <reified E : Throwable> expect(block: () -> Unit): E {
    try {
        block()
    } catch (e: Throwable) {
        if (e is E) return e
        fail("expected ${E::class.simpleName}, got $e")
    }
    fail("expected ${E::class.simpleName}, nothing was thrown")
}

val server = Server()
val tablets = mutableMapOf<String, PaichaStore>()

fun wholeLoopAcrossThreeTablets() {
    val wang = server.tablet("kt-wang", "insp-wang").also { tablets["wang"] = it }
    val ent = server.tablet("kt-ent", "ent-a").also { tablets["ent"] = it }
    val chen = server.tablet("kt-chen", "sup-chen").also { tablets["chen"] = it }
    val h = wang.reportHazard(newHazard("叉车无证驾驶", jpeg("before")))
    assertEquals(HazardStatus.RECTIFYING, h.status)
    wang.sync(null, null)
    ent.sync(null, null)
    ent.submitEvidence(h.id, "已培训取证", listOf(jpeg("after")))
    ent.sync(null, null)
    chen.sync(null, null)
    assertEquals(listOf(h.id), chen.reviewQueue().map { it.id })
    chen.review(h.id, Decision.REJECT, "缺少培训记录")
    chen.sync(null, null)
    ent.sync(null, null)
    ent.submitEvidence(h.id, "补充培训记录", listOf(jpeg("after2")))
    ent.sync(null, null)
    chen.sync(null, null)
    val closed = chen.review(h.id, Decision.APPROVE, "整改到位")
    assertEquals(HazardStatus.CLOSED, closed.status)
    assertEquals(ClosureKind.REVIEWED, closed.closure)
    chen.sync(null, null)
    wang.sync(null, null)
    ent.sync(null, null)
    val histories = listOf(wang, ent, chen).map { t -> t.hazard(h.id).history.map { it.eventId to it.deviceId } }
    assertEquals(histories[0], histories[1])
    assertEquals(histories[1], histories[2])
    assertEquals(listOf("kt-wang", "kt-ent", "kt-chen", "kt-ent", "kt-chen"), histories[0].map { it.second })
}

fun errorsArriveAsTheRightExceptions() {
    val wang = tablets.getValue("wang")
    val chen = tablets.getValue("chen")
    val h = wang.reportHazard(newHazard("灭火器过期", jpeg("b2")))
    // The exception's message is the sentence to show, starting with the rule id; never `rule=..., reason=...`.
    val r8 = expect<PaichaException.Forbidden> { wang.review(h.id, Decision.APPROVE, "自己销号") }.message!!
    assertTrue(r8.startsWith("R8: ") && "supervisor" in r8 && "rule=" !in r8 && "reason=" !in r8, r8)
    assertTrue(expect<PaichaException.Forbidden> { wang.voidHazard(h.id, "x") }.message!!.startsWith("R12: "))
    assertTrue(expect<PaichaException.Forbidden> { wang.reportHazard(newHazard("x", null, "2030-01-01")) }.message!!.startsWith("R5: "))
    val until = expect<PaichaException.InvalidInput> { wang.requestExtension(h.id, "next week", "x") }.message!!
    assertTrue(until.startsWith("until: ") && "next week" in until, until)
    assertTrue(expect<PaichaException.InvalidInput> { wang.submitEvidence(h.id, "x", listOf(File(work, "missing.jpg").path)) }.message!!.startsWith("photo: "))
    assertEquals(
        "not found: hidden danger 00000000-0000-0000-0000-000000000000",
        expect<PaichaException.NotFound> { chen.hazard("00000000-0000-0000-0000-000000000000") }.message,
    )
    val lonely = PaichaStore.open(File(work, "lonely").path, "lonely")
    expect<PaichaException.NotEnrolled> { lonely.reviewQueue() }
}

fun progressNotificationsAndCancellation() {
    val wang = tablets.getValue("wang")
    val chen = tablets.getValue("chen")
    val h = wang.reportHazard(newHazard("安全出口堵塞", jpeg("b3")))
    wang.sync(null, null)
    val cancel = CancelToken()
    cancel.cancel()
    expect<PaichaException.Cancelled> { chen.sync(null, cancel) }
    val progressSeen = mutableListOf<SyncProgressInfo>()
    val changed = mutableListOf<String>()
    val sub = chen.subscribe(object : RecordChangeListener {
        override fun onRecordsChanged(recordIds: List<String>) { changed += recordIds }
    })
    val summary = chen.sync(object : SyncProgressListener {
        override fun onProgress(`progress`: SyncProgressInfo) { progressSeen += `progress` }
    }, null)
    assertTrue(progressSeen.isNotEmpty() && progressSeen.last().docsDown >= 1uL)
    assertTrue(h.id in summary.changedIds && h.id in changed)
    sub.unsubscribe()
    assertTrue(!sub.isActive())
    // Statistics through the bindings.
    assertEquals("玉山镇", chen.statistics(StatsGroupBy.TOWNSHIP).first().group)
}

fun scopePeopleAndEnterprises() {
    val wang = tablets.getValue("wang")
    val ent = tablets.getValue("ent")
    val scope = wang.scope()
    assertEquals(Role.INSPECTOR, scope.role)
    assertEquals(listOf("玉山镇"), scope.townships)
    val codes = wang.enterprises().map { it.creditCode }
    assertTrue(ENTERPRISE_A in codes && ENTERPRISE_D !in codes, codes.toString())
    assertEquals(listOf(ENTERPRISE_A), ent.enterprises().map { it.creditCode })
    assertEquals(ENTERPRISE_A, ent.scope().enterprise)
    val people = ent.people().associate { it.id to it.role }
    assertEquals(Role.INSPECTOR, people["insp-wang"])
    assertTrue("ent-b" !in people && "ent-d" !in people, people.toString())
    // A tablet holding the whole demo district still offers only the user's scope (R2).
    val demo = PaichaStore.open(File(work, "demo-district").path, "kt-demo")
    demo.loadDemoDistrict()
    demo.setUser("insp-wang")
    assertTrue(demo.enterprises().all { it.township == "玉山镇" })
    val r2 = expect<PaichaException.Forbidden> {
        demo.startInspection("fire-safety", ENTERPRISE_D, emptyList(), false, InspectionSource.ROUTINE, null)
    }.message!!
    assertTrue(r2.startsWith("R2: "), r2)
}

fun typedAnswersSourceLocationAndCompletion() {
    val wang = tablets.getValue("wang")
    val gps = GpsLocation(lat = 31.38, lon = 120.98, accuracyM = 5.0)
    val i = wang.startInspection("fire-safety", ENTERPRISE_A, listOf("insp-li"), true, InspectionSource.COMPLAINT, gps)
    assertEquals(InspectionSource.COMPLAINT, i.source)
    assertEquals(gps, wang.inspection(i.id).location)
    val items = wang.inspectionItems(i.id)
    assertEquals(8, items.size)
    assertTrue(items.all { it.kind == AnswerKind.Compliance && it.answer == null })
    val wrongKind = expect<PaichaException.InvalidInput> {
        wang.answer(i.id, "FS-01", AnswerValue.Number(3.0), "", emptyList())
    }.message!!
    assertTrue(wrongKind.startsWith("answer: item FS-01 expects conforms / does_not_conform / na"), wrongKind)
    wang.answer(i.id, "FS-02", AnswerValue.DoesNotConform, "通道堆物", emptyList())
    val r4 = expect<PaichaException.Forbidden> { wang.completeInspection(i.id) }.message!!
    assertTrue(r4.startsWith("R4: ") && "FS-01, FS-03, FS-04, FS-05, FS-06, FS-07, FS-08;" in r4, r4)
    for (code in listOf("FS-01", "FS-03", "FS-04", "FS-05", "FS-06", "FS-07")) {
        wang.answer(i.id, code, AnswerValue.Conforms, "", emptyList())
    }
    wang.answer(i.id, "FS-08", AnswerValue.NotApplicable, "", emptyList())
    assertEquals(AnswerValue.DoesNotConform, wang.inspectionItems(i.id).first { it.code == "FS-02" }.answer)
    assertEquals(listOf("FS-02"), wang.completeInspection(i.id).findings.map { it.itemCode })
    wang.sync(null, null)
    assertTrue(wang.refusedEdits().isEmpty())
}

fun networkErrorIsRetryable() {
    server.stop()
    expect<PaichaException.Network> { tablets.getValue("wang").sync(null, null) }
}

fun main() {
    val tests = listOf(
        "whole loop across three tablets" to ::wholeLoopAcrossThreeTablets,
        "errors arrive as the right exceptions" to ::errorsArriveAsTheRightExceptions,
        "progress, notifications and cancellation" to ::progressNotificationsAndCancellation,
        "scope, people and enterprises" to ::scopePeopleAndEnterprises,
        "typed answers, source, location and completion" to ::typedAnswersSourceLocationAndCompletion,
        "network error is retryable" to ::networkErrorIsRetryable,
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
    runCatching { server.stop() }
    println("$passed passed, $failed failed")
    kotlin.system.exitProcess(if (failed == 0) 0 else 1)
}
