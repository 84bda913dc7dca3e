package cn.paicha.demo

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import cn.paicha.demo.model.KeyProvider
import java.io.File
import java.security.KeyStore
import java.security.SecureRandom
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * The store key on a device: 32 random bytes made once, kept on disk only
 * wrapped (AES-256-GCM) by a key that never leaves the Android Keystore.
 *
 * Why wrapped and not a Keystore key itself: the library needs the key's
 * bytes to encrypt its database and photos; a Keystore key cannot be
 * exported, so it guards the store key instead. A copy of the app's files
 * (a backup, a stolen SD image) is useless without this device's Keystore.
 * The wrapped key lives in `noBackupFilesDir`: a restored backup starts a
 * new store and enrolls again, as a new tablet should.
 */
class KeystoreKeyProvider(context: Context) : KeyProvider {
    private val file = File(context.noBackupFilesDir, "paicha-store-key.bin")

    @Synchronized
    override fun storeKey(): ByteArray {
        val wrapping = wrappingKey()
        if (file.exists()) {
            val bytes = file.readBytes()
            val cipher = Cipher.getInstance(TRANSFORMATION)
            cipher.init(Cipher.DECRYPT_MODE, wrapping, GCMParameterSpec(128, bytes, 0, IV_BYTES))
            return cipher.doFinal(bytes, IV_BYTES, bytes.size - IV_BYTES)
        }
        val key = ByteArray(32).also { SecureRandom().nextBytes(it) }
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, wrapping)
        val sealed = cipher.iv + cipher.doFinal(key)
        // Written whole or not at all: a half-written key would lock the store forever.
        val tmp = File(file.path + ".part")
        tmp.writeBytes(sealed)
        check(tmp.renameTo(file)) { "could not keep the store key in ${file.path}" }
        return key
    }

    private fun wrappingKey(): SecretKey {
        val keyStore = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }
        (keyStore.getKey(ALIAS, null) as? SecretKey)?.let { return it }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEYSTORE)
        generator.init(
            KeyGenParameterSpec.Builder(ALIAS, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .build(),
        )
        return generator.generateKey()
    }

    private companion object {
        const val ANDROID_KEYSTORE = "AndroidKeyStore"
        const val ALIAS = "paicha-store-key-wrap"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val IV_BYTES = 12
    }
}
