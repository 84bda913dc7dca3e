package cn.paicha.demo.ui

import android.content.Context
import android.graphics.Bitmap
import android.graphics.Paint
import androidx.compose.foundation.Canvas
import androidx.compose.foundation.border
import androidx.compose.foundation.gestures.detectDragGestures
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.material3.Button
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateListOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.input.pointer.pointerInput
import androidx.compose.ui.layout.onSizeChanged
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.unit.IntSize
import androidx.compose.ui.unit.dp
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import java.io.File

/**
 * A signature drawn with a finger, saved as a JPEG file (what the library
 * takes for a signature on an order, §4) and handed to [onSigned].
 */
@Composable
fun SignaturePad(label: String, onSigned: (String) -> Unit) {
    val strokes = remember { mutableStateListOf<List<Offset>>() }
    var current by remember { mutableStateOf<List<Offset>>(emptyList()) }
    var size by remember { mutableStateOf(IntSize.Zero) }
    val context = LocalContext.current
    val scope = rememberCoroutineScope()
    Column {
        Text(label)
        Canvas(
            Modifier.fillMaxWidth().height(120.dp).border(1.dp, Color.Gray)
                .onSizeChanged { size = it }
                .pointerInput(Unit) {
                    detectDragGestures(
                        onDragStart = { current = listOf(it) },
                        onDragEnd = { strokes += current; current = emptyList() },
                    ) { change, _ -> current = current + change.position }
                },
        ) {
            for (s in strokes + listOf(current)) {
                for (i in 1 until s.size) drawLine(Color.Black, s[i - 1], s[i], strokeWidth = 4f)
            }
        }
        Row {
            TextButton(onClick = { strokes.clear() }) { Text("重签") }
            Button(enabled = strokes.isNotEmpty() && size != IntSize.Zero, onClick = {
                val drawn = strokes.toList()
                scope.launch {
                    val path = withContext(Dispatchers.IO) { saveJpeg(context, drawn, size) }
                    onSigned(path)
                }
            }) { Text("确认签名") }
        }
    }
}

private fun saveJpeg(context: Context, strokes: List<List<Offset>>, size: IntSize): String {
    val bitmap = Bitmap.createBitmap(size.width, size.height, Bitmap.Config.ARGB_8888)
    val canvas = android.graphics.Canvas(bitmap)
    canvas.drawColor(android.graphics.Color.WHITE)
    val paint = Paint().apply { color = android.graphics.Color.BLACK; strokeWidth = 4f; isAntiAlias = true }
    for (s in strokes) for (i in 1 until s.size) canvas.drawLine(s[i - 1].x, s[i - 1].y, s[i].x, s[i].y, paint)
    val dir = File(context.cacheDir, "signatures").apply { mkdirs() }
    val file = File(dir, "signature-${System.currentTimeMillis()}.jpg")
    file.outputStream().use { bitmap.compress(Bitmap.CompressFormat.JPEG, 90, it) }
    bitmap.recycle()
    return file.path
}
