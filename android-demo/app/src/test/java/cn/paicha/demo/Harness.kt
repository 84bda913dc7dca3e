// The JVM test harness of the view models: a real paicha-server on loopback,
// simulated tablets (a store, a "ui" thread standing in for Android's main
// thread, Dispatchers.IO for the library's blocking calls), and a guard that
// records any library call made on the "ui" thread.
package cn.paicha.demo

import cn.paicha.PaichaStoreInterface
import cn.paicha.SyncProgressInfo
import cn.paicha.SyncProgressListener
import cn.paicha.demo.model.KeyProvider
import cn.paicha.demo.model.ScreenModel
import cn.paicha.demo.model.ScreenState
import cn.paicha.demo.model.SessionViewModel
import cn.paicha.demo.model.StoreSession
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import java.io.File
import java.lang.reflect.InvocationTargetException
import java.lang.reflect.Proxy
import java.nio.file.Files
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicInteger
import kotlin.test.assertEquals
import kotlin.test.assertNull
import kotlin.test.assertTrue

val serverBin: String = System.getenv("PAICHA_SERVER_BIN") ?: "target/debug/paicha-server"
val work: File = Files.createTempDirectory("paicha-demo-").toFile()
const val ALUMINIUM = "91320583700000001K" // 玉山镇, 涉爆粉尘 and 铝镁机加工
const val CHEMICALS = "91320583700000004W" // 周市镇: outside 玉山镇's scope
// Debian's Noto Sans CJK (fonts-noto-cjk); on Android the app names /system/fonts/NotoSansCJK-Regular.ttc.
const val FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
// A guard against hangs only: no test asserts how long anything takes.
const val TIMEOUT_MS = 120_000L

/** A fixed store key, as the Android Keystore would give one. */
val testKeys = KeyProvider { ByteArray(32) { (it * 7 + 1).toByte() } }

/** Android's main thread, for the tests: one thread named "ui". */
val ui: CoroutineDispatcher = Executors.newSingleThreadExecutor { r -> Thread(r, "ui").apply { isDaemon = true } }
    .asCoroutineDispatcher()
val io: CoroutineDispatcher = Dispatchers.IO

fun admin(vararg args: String): String {
    val p = ProcessBuilder(serverBin, *args).start()
    val out = p.inputStream.bufferedReader().readText()
    check(p.waitFor() == 0) { "paicha-server ${args.joinToString(" ")} failed: ${p.errorStream.bufferedReader().readText()}" }
    return out
}

/** A paicha-server with the demo district, on a free loopback port (HTTPS when given a certificate and key). */
class TestServer(name: String, tls: Pair<File, File>? = null, setup: (String) -> Unit = {}) {
    val data: String = File(work, name).path
    private val process: Process
    val url: String

    init {
        admin("--data", data, "init", "--demo")
        setup(data)
        val pb = ProcessBuilder(serverBin, "--data", data, "serve", "--listen", "127.0.0.1:0")
            .redirectError(ProcessBuilder.Redirect.DISCARD)
        pb.environment()["PAICHA_LOG"] = "warn"
        if (tls != null) {
            pb.environment()["PAICHA_SERVER_TLS_CERT"] = tls.first.path
            pb.environment()["PAICHA_SERVER_TLS_KEY"] = tls.second.path
        }
        process = pb.start()
        val line = process.inputStream.bufferedReader().readLine() ?: error("paicha-server did not start")
        check(line.startsWith("listening on ")) { line }
        url = line.removePrefix("listening on ")
    }

    /** A one-time enrollment code for [device] and [user]. */
    fun code(device: String, user: String): String {
        val json = admin("--data", data, "--json", "device", "add", "--device", device, "--user", user)
        return Regex("\"code\":\"([A-Z0-9]+)\"").find(json)?.groupValues?.get(1) ?: error("no code in $json")
    }

    fun stop() {
        process.destroy()
        process.waitFor()
    }
}

/**
 * Every library call of the view models goes through this proxy of the
 * store: a call made on the "ui" thread is recorded (the tests assert none
 * are), and a test may act on the first progress callback of a sync (a
 * user pressing Cancel while the sync runs).
 */
object MainThreadGuard {
    val calls = AtomicInteger()
    val onMainThread = ConcurrentLinkedQueue<String>()

    /** How each sync call through the guard ended: "ok" or the exception's class ("Cancelled"). */
    val syncOutcomes = ConcurrentLinkedQueue<String>()

    @Volatile
    var onFirstProgress: (() -> Unit)? = null

    fun wrap(store: PaichaStoreInterface): PaichaStoreInterface = Proxy.newProxyInstance(
        PaichaStoreInterface::class.java.classLoader, arrayOf(PaichaStoreInterface::class.java),
    ) { _, method, args ->
        calls.incrementAndGet()
        if (Thread.currentThread().name == "ui") onMainThread += method.name
        val hook = onFirstProgress
        val actual = args ?: emptyArray()
        if (method.name == "sync" && hook != null) {
            onFirstProgress = null
            val inner = actual[0] as SyncProgressListener?
            var fired = false
            actual[0] = object : SyncProgressListener {
                override fun onProgress(`progress`: SyncProgressInfo) {
                    inner?.onProgress(`progress`)
                    if (!fired) {
                        fired = true
                        hook()
                    }
                }
            }
        }
        try {
            method.invoke(store, *actual).also { if (method.name == "sync") syncOutcomes += "ok" }
        } catch (e: InvocationTargetException) {
            if (method.name == "sync") syncOutcomes += e.targetException.javaClass.simpleName
            throw e.targetException
        }
    } as PaichaStoreInterface
}

/** A simulated tablet: its store directory, its session (sign-in) view model, its guarded store. */
class Tablet(val device: String, keys: KeyProvider = testKeys) {
    val dir: String = File(work, device).path
    val session = StoreSession(dir, device, keys)
    val sessionVm = SessionViewModel(session, io, ui)

    /** The signed-in store as the screens get it (through the guard). */
    val store: PaichaStoreInterface by lazy { MainThreadGuard.wrap(sessionVm.store()) }

    /** Closes the app: the view models' scopes and the store. */
    fun close() {
        sessionVm.close()
        session.close()
    }
}

/** Enrolls a new tablet for [user] through the enrollment screen; fails the test if it does not sign in. */
fun enrolled(server: TestServer, device: String, user: String): Tablet {
    val t = Tablet(device)
    val s = t.sessionVm.run { enroll(server.url, server.code(device, user)) }
    assertNull(s.problem, "enroll $device: ${s.problem}")
    assertEquals(user, s.user)
    return t
}

/** Runs an action of a view model and waits for it; returns the state after it. */
fun <S : ScreenState<S>, M : ScreenModel<S>> M.run(action: M.() -> Job): S = runBlocking {
    withTimeout(TIMEOUT_MS) { action().join() }
    state.value
}

/** As [run], and the action must have succeeded. */
fun <S : ScreenState<S>, M : ScreenModel<S>> M.ok(action: M.() -> Job): S {
    val s = run(action)
    assertNull(s.problem, "unexpected problem: ${s.problem}")
    return s
}

/** Waits until the state satisfies [predicate] (the way a screen waits, by observing the flow). */
fun <S : ScreenState<S>> ScreenModel<S>.awaitState(predicate: (S) -> Boolean): S = runBlocking {
    withTimeout(TIMEOUT_MS) { state.first(predicate) }
}

/** A small JPEG file (the camera's picture, a signature): bytes starting FF D8 FF. */
fun jpeg(name: String): String {
    val f = File(work, "$name.jpg")
    f.writeBytes(byteArrayOf(0xFF.toByte(), 0xD8.toByte(), 0xFF.toByte(), 0xE0.toByte()) + name.toByteArray())
    return f.path
}

fun assertStartsWith(prefix: String, actual: String?) =
    assertTrue(actual != null && actual.startsWith(prefix), "expected '$prefix...', got '$actual'")
