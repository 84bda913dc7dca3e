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
// Debian's Noto Sans CJK (fonts-noto-cjk); on Android the app names /system/fonts/NotoSansCJK-Regular.ttc.
const val FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"

/** A store key as an app would unwrap it from the Android Keystore: 32 random bytes. */
fun newKey(): ByteArray = ByteArray(32).also { java.security.SecureRandom().nextBytes(it) }

fun code(data: String, device: String, user: String): String {
    val json = run("--data", data, "--json", "device", "add", "--device", device, "--user", user)
    return Regex("\"code\":\"([A-Z0-9]+)\"").find(json)?.groupValues?.get(1) ?: error("no code in $json")
}

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
        val store = PaichaStore.open(File(work, device).path, device, newKey())
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
    val lonely = PaichaStore.open(File(work, "lonely").path, "lonely", null)
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

/** The text of a PDF as pdftotext (poppler-utils) extracts it, without white space. */
fun pdfText(path: String): String {
    val p = ProcessBuilder("pdftotext", "-enc", "UTF-8", path, "-").start()
    val text = p.inputStream.bufferedReader(Charsets.UTF_8).readText()
    check(p.waitFor() == 0) { "pdftotext $path failed: ${p.errorStream.bufferedReader().readText()}" }
    return text.replace(Regex("\\s+"), "")
}

fun ordersNumberedOfflineOnTwoTabletsAndPrinted() {
    val wang = tablets.getValue("wang")
    val chen = tablets.getValue("chen")
    val ent = tablets.getValue("ent")
    val li = server.tablet("kt-li", "insp-li")
    val year = java.time.LocalDate.now(java.time.ZoneId.of("Asia/Shanghai")).year
    val h1 = wang.reportHazard(newHazard("配电柜门缺失", jpeg("o1")))
    val h2 = wang.reportHazard(newHazard("气瓶未固定", jpeg("o2")))
    wang.sync(null, null)
    li.sync(null, null)
    // Offline on both tablets: each takes the first number of its own sequence (R15).
    val o1 = wang.issueOrder(listOf(h1.id), listOf("insp-li"),
        listOf(SignatureInput(SignerCapacity.INSPECTOR, "insp-wang", jpeg("sig-wang"))))
    assertTrue(o1.number.endsWith("〔$year〕kt-wang-001号"), o1.number)
    assertEquals(DocumentNumberParts(o1.numberParts.prefix, year, "kt-wang", 1u), o1.numberParts)
    assertEquals(ENTERPRISE_A, o1.enterprise)
    assertEquals(h1.enterpriseName, o1.enterpriseName)
    assertEquals(listOf(h1.id to h1.deadline), o1.hazards.map { it.hazardId to it.deadline })
    assertEquals(setOf("insp-wang", "insp-li"), o1.inspectors.map { it.id }.toSet())
    assertTrue(o1.inspectors.all { !it.certificateNo.isNullOrBlank() })
    val o2 = li.issueOrder(listOf(h2.id), listOf("insp-wang"), emptyList())
    assertTrue(o2.number.endsWith("〔$year〕kt-li-001号"), o2.number)
    for (t in listOf(wang, li, wang, chen)) t.sync(null, null)
    assertTrue(wang.refusedEdits().isEmpty() && li.refusedEdits().isEmpty())
    val numbers = chen.orders(null).map { it.number }
    assertEquals(setOf(o1.number, o2.number), numbers.toSet())
    assertEquals(numbers.size, numbers.toSet().size)
    val seqs = chen.numberSequences().associateBy { it.series }
    assertEquals(setOf("kt-wang", "kt-li"), seqs.keys)
    assertEquals(listOf(o1.number to NumberState.ISSUED), seqs.getValue("kt-wang").numbers.map { it.number to it.state })
    assertEquals(listOf(o2.number to NumberState.ISSUED), seqs.getValue("kt-li").numbers.map { it.number to it.state })
    // Printed offline, in the font the app names, to the file the app hands to the print service.
    val out = File(work, "order.pdf").path
    wang.orderPdf(o1.number, FONT, out)
    val text = pdfText(out)
    assertTrue(o1.number in text && o1.enterpriseName in text, text.take(400))
    val noFont = expect<PaichaException.InvalidInput> {
        wang.orderPdf(o1.id, File(work, "no-such-font.ttc").path, File(work, "x.pdf").path)
    }.message!!
    assertTrue(noFont.startsWith("font_path: ") && "no-such-font.ttc" in noFont, noFont)
    // The enterprise submits evidence; only a supervisor writes the review opinion citing the order (R8).
    ent.sync(null, null)
    ent.submitEvidence(h1.id, "已加装柜门", listOf(jpeg("o-after")))
    ent.sync(null, null)
    chen.sync(null, null)
    val opinion = listOf(HazardOpinionInput(h1.id, Decision.APPROVE, "整改到位"))
    val r8 = expect<PaichaException.Forbidden> { wang.issueOpinion(o1.number, opinion, emptyList()) }.message!!
    assertTrue(r8.startsWith("R8: "), r8)
    val op = chen.issueOpinion(o1.number, opinion, emptyList())
    assertEquals(o1.number, op.orderNumber)
    assertEquals(HazardStatus.CLOSED, chen.hazard(h1.id).status)
    val opinionPdf = File(work, "opinion.pdf").path
    chen.opinionPdf(op.id, FONT, opinionPdf)
    assertTrue(o1.number in pdfText(opinionPdf))
    chen.sync(null, null)
    assertTrue(chen.refusedEdits().isEmpty())
}

/** Every file under [root] with its bytes. */
fun filesUnder(root: File): Map<String, List<Byte>> =
    root.walkTopDown().filter { it.isFile }.associate { it.path to it.readBytes().toList() }

fun ByteArray.holds(needle: ByteArray): Boolean =
    (0..size - needle.size).any { i -> needle.indices.all { this[i + it] == needle[it] } }

fun encryptionAtRest() {
    val key = newKey()
    val dir = File(work, "kt-encrypted")
    val tab = PaichaStore.open(dir.path, "kt-enc", key)
    assertTrue(tab.isEncrypted())
    tab.enroll(server.url, code(server.data, "kt-enc", "insp-wang"))
    val photo = byteArrayOf(-1, -40, -1, -32) + ByteArray(20_000) { (it * 7 % 251).toByte() }
    val photoFile = File(work, "kt-enc.jpg").apply { writeBytes(photo) }
    val description = "氨制冷机房未设置泄漏报警"
    val h = tab.reportHazard(newHazard(description, photoFile.path))
    val sha = h.beforePhotos.single()
    tab.sync(null, null)
    tab.close()
    val before = filesUnder(dir)
    assertTrue(before.size >= 3, before.keys.toString())
    for ((name, bytes) in before) {
        val b = bytes.toByteArray()
        for (secret in listOf("SQLite format 3", description, "kt-enc", "insp-wang", ENTERPRISE_A)) {
            assertTrue(!b.holds(secret.toByteArray()), "$name reveals $secret")
        }
        assertTrue(!b.holds(photo.copyOfRange(500, 564)), "$name holds the photo")
        assertTrue(sha !in name, name)
    }
    val wrong = expect<PaichaException.Locked> { PaichaStore.open(dir.path, "kt-enc", newKey()) }.message!!
    assertEquals("store locked: the key given is not this store's key; nothing was changed", wrong)
    expect<PaichaException.Locked> { PaichaStore.open(dir.path, "kt-enc", null) }
    assertEquals(before, filesUnder(dir), "a wrong key changed the store")
    PaichaStore.open(dir.path, "kt-enc", key).use { again ->
        assertEquals(description, again.hazard(h.id).description)
        assertTrue(again.photoBytes(sha).contentEquals(photo))
        again.sync(null, null)
    }
    // Without a key the store works offline but never keeps a device token.
    val plain = PaichaStore.open(File(work, "kt-plain").path, "kt-plain", null)
    val refused = expect<PaichaException.InvalidInput> { plain.enroll(server.url, code(server.data, "kt-plain", "insp-wang")) }
    assertTrue(refused.message!!.startsWith("key: a device token is kept only in an encrypted store"), refused.message)
}

fun httpsWithTheDistrictCa() {
    val caBin = System.getenv("PAICHA_TEST_CA_BIN") ?: error("PAICHA_TEST_CA_BIN is not set: the test CA tool (cargo build -p paicha-scenarios --bin test-ca)")
    val certs = File(work, "kt-tls")
    check(ProcessBuilder(caBin, certs.path).inheritIO().start().waitFor() == 0) { "test-ca failed" }
    val data = File(work, "kt-tls-server").path
    run("--data", data, "init", "--demo")
    val proc = ProcessBuilder(serverBin, "--data", data, "serve", "--listen", "127.0.0.1:0")
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .apply {
            environment()["PAICHA_LOG"] = "warn"
            environment()["PAICHA_SERVER_TLS_CERT"] = File(certs, "server.pem").path
            environment()["PAICHA_SERVER_TLS_KEY"] = File(certs, "server.key").path
        }.start()
    try {
        val line = proc.inputStream.bufferedReader().readLine()
        check(line.startsWith("listening on https://")) { line }
        val url = line.removePrefix("listening on ")
        val stranger = PaichaStore.open(File(work, "kt-tls-stranger").path, "kt-tls-stranger", newKey())
        val e = expect<PaichaException.Network> { stranger.enroll(url, code(data, "kt-tls-stranger", "insp-li")) }
        assertTrue("certificate" in e.message!!.lowercase(), e.message)
        val tab = PaichaStore.open(File(work, "kt-tls-wang").path, "kt-tls-wang", newKey())
        assertTrue(expect<PaichaException.InvalidInput> { tab.trustCertificateAuthority("not a certificate") }.message!!.startsWith("ca certificate: "))
        tab.trustCertificateAuthority(File(certs, "ca.pem").readText())
        assertEquals("insp-wang", tab.enroll(url, code(data, "kt-tls-wang", "insp-wang")).id)
        tab.reportHazard(newHazard("消防通道堵塞", jpeg("kt-tls")))
        val report = tab.sync(null, null)
        assertTrue(report.docsUp >= 1uL, report.toString())
    } finally {
        proc.destroy()
        proc.waitFor()
    }
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
        "orders numbered offline on two tablets, opinion, printing" to ::ordersNumberedOfflineOnTwoTabletsAndPrinted,
        "encryption at rest" to ::encryptionAtRest,
        "HTTPS with the district's own CA" to ::httpsWithTheDistrictCa,
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
