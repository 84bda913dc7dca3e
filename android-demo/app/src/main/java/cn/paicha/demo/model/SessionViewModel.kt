package cn.paicha.demo.model

import cn.paicha.PaichaStoreInterface
import cn.paicha.UserScope
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Job

/** The sign-in screen: who is signed in, with their role and scope (R2). */
data class SessionUiState(
    val scope: UserScope? = null,
    override val loading: Boolean = false,
    override val problem: Problem? = null,
) : ScreenState<SessionUiState> {
    /** The signed-in person's id, or null before enrollment / sign-in. */
    val user: String? get() = scope?.personId
    override fun withStatus(loading: Boolean, problem: Problem?) = copy(loading = loading, problem = problem)
}

/**
 * Enroll with a code, sign in, or try the demo district offline.
 *
 * Why it exists: the first screen of the app decides whether the tablet is
 * bound to the district's server (enrollment: once, online, with the code
 * the district admin printed) or already is (sign-in: offline, from the
 * store). The other screens need a signed-in store: they get it from
 * [store] once [SessionUiState.scope] is set.
 */
class SessionViewModel(
    private val session: StoreSession,
    io: CoroutineDispatcher,
    main: CoroutineDispatcher,
) : ScreenModel<SessionUiState>(SessionUiState(), io, main) {

    /** The signed-in store for the other screens; opens it if needed. Blocks on disk. */
    fun store(): PaichaStoreInterface = session.open()

    /**
     * Binds this tablet to the server at [serverUrl] with the one-time
     * [code] and signs its user in. A district that serves HTTPS with its
     * own certificate authority gives its certificate ([caPem], PEM text):
     * it is trusted before the first request.
     */
    fun enroll(serverUrl: String, code: String, caPem: String? = null): Job = action {
        val scope = onIo {
            val store = session.open()
            if (caPem != null) store.trustCertificateAuthority(caPem)
            store.enroll(serverUrl.trim(), code.trim())
            store.scope()
        }
        update { it.copy(scope = scope) }
    }

    /**
     * Signs in the user this tablet was enrolled for, offline, when the app
     * starts again. Not enrolled yet: the state stays signed out, without a
     * problem (the screen shows the enrollment form).
     */
    fun resume(): Job = action {
        val scope = onIo {
            val store = session.open()
            if (store.user() == null) null else store.scope()
        }
        update { it.copy(scope = scope) }
    }

    /** Offline demo without a server: the demo district, signed in as [personId]. */
    fun signInDemo(personId: String): Job = action {
        val scope = onIo {
            val store = session.open()
            store.loadDemoDistrict()
            store.setUser(personId)
            store.scope()
        }
        update { it.copy(scope = scope) }
    }
}
