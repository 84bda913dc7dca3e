package cn.paicha.demo.ui

import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.platform.LocalContext
import androidx.core.content.FileProvider
import java.io.File

/**
 * Takes a photo with the device's camera app into a JPEG file of ours
 * (`cache/photos/`, shared through the FileProvider of the manifest) and
 * hands its path to [onPhoto]; the store copies the file.
 *
 * Why a file path survives in saved state: the camera app may run while
 * our activity is destroyed (rotation, low memory); the pending path comes
 * back with `rememberSaveable`.
 */
@Composable
fun rememberCamera(onPhoto: (String) -> Unit): () -> Unit {
    val context = LocalContext.current
    var pending by rememberSaveable { mutableStateOf<String?>(null) }
    val launcher = rememberLauncherForActivityResult(ActivityResultContracts.TakePicture()) { saved ->
        val path = pending
        pending = null
        if (saved && path != null) onPhoto(path)
    }
    return {
        val dir = File(context.cacheDir, "photos").apply { mkdirs() }
        val file = File(dir, "photo-${System.currentTimeMillis()}.jpg")
        pending = file.path
        launcher.launch(FileProvider.getUriForFile(context, context.packageName + ".photos", file))
    }
}
