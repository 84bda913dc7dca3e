package cn.paicha.demo.model

import cn.paicha.PaichaStore
import cn.paicha.PaichaStoreInterface

/**
 * The tablet's one store, opened once and closed with the app.
 *
 * Why one holder: the store is a native handle with open database files;
 * every screen shares it, and it must be closed exactly once when the app
 * goes away (not when a screen rotates). On the device an androidx
 * `ViewModel` scoped to the activity (`SessionHolder`) owns this object and
 * calls [close] from `onCleared`; in the JVM tests each simulated tablet
 * owns one.
 *
 * [open] blocks on disk (and on the Keystore): call it off the main thread,
 * as [SessionViewModel] does. Thread-safe.
 */
class StoreSession(
    private val dataDir: String,
    private val deviceId: String,
    private val keys: KeyProvider,
) : AutoCloseable {
    private var store: PaichaStore? = null
    private var closed = false

    /** The store, opened on first use. Blocks on disk. */
    @Synchronized
    fun open(): PaichaStoreInterface {
        check(!closed) { "the store of $deviceId was closed with the app" }
        store?.let { return it }
        // Encrypted at rest (database and photos) with the key from the Keystore: only an
        // encrypted store may be enrolled, since a device token is never kept in plain text.
        // Another key than the store's is a `Locked` error that changes nothing.
        return PaichaStore.open(dataDir, deviceId, keys.storeKey()).also { store = it }
    }

    /**
     * The store if it is open, else null; never opens it, so it does not
     * block: for the main thread (screens shown after sign-in, which opened it).
     */
    @Synchronized
    fun current(): PaichaStoreInterface? = if (closed) null else store

    /** Closes the store (frees the native handle); later [open] calls fail. Idempotent. */
    @Synchronized
    override fun close() {
        closed = true
        store?.close()
        store = null
    }
}
