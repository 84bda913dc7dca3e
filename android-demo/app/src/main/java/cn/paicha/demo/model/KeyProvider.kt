package cn.paicha.demo.model

/**
 * Where the key that encrypts the tablet's store at rest comes from: 32
 * random bytes, the same on every start of the app on this tablet.
 *
 * Why an interface: on a device the key is a random key wrapped by the
 * Android Keystore (`KeystoreKeyProvider` in the Android layer, so it never
 * sits on disk in the clear); the JVM tests give a fixed key. The store
 * refuses to keep a device token (enrollment) in a store without a key.
 */
fun interface KeyProvider {
    /** The store key, 32 bytes; blocks (the Keystore may be slow): call off the main thread. */
    fun storeKey(): ByteArray
}
