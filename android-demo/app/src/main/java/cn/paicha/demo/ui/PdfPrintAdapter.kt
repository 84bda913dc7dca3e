package cn.paicha.demo.ui

import android.os.Bundle
import android.os.CancellationSignal
import android.os.Handler
import android.os.Looper
import android.os.ParcelFileDescriptor
import android.print.PageRange
import android.print.PrintAttributes
import android.print.PrintDocumentAdapter
import android.print.PrintDocumentInfo
import java.io.File
import java.io.FileOutputStream
import java.io.IOException
import kotlin.concurrent.thread

/**
 * Hands a PDF the library printed (an order) to Android's print service:
 * the system dialog picks the printer (the portable printer in the car
 * through its Mopria or vendor plug-in) or "Save as PDF".
 *
 * Why a plain copy: the library already laid the document out on A4 in a
 * CJK font; the adapter only streams the file, off the main thread.
 */
class PdfPrintAdapter(private val pdf: File, private val name: String) : PrintDocumentAdapter() {
    private val main = Handler(Looper.getMainLooper())

    override fun onLayout(
        oldAttributes: PrintAttributes?,
        newAttributes: PrintAttributes,
        cancellationSignal: CancellationSignal?,
        callback: LayoutResultCallback,
        extras: Bundle?,
    ) {
        if (cancellationSignal?.isCanceled == true) {
            callback.onLayoutCancelled()
            return
        }
        val info = PrintDocumentInfo.Builder(name)
            .setContentType(PrintDocumentInfo.CONTENT_TYPE_DOCUMENT)
            .setPageCount(PrintDocumentInfo.PAGE_COUNT_UNKNOWN)
            .build()
        callback.onLayoutFinished(info, oldAttributes != newAttributes)
    }

    override fun onWrite(
        pages: Array<out PageRange>,
        destination: ParcelFileDescriptor,
        cancellationSignal: CancellationSignal?,
        callback: WriteResultCallback,
    ) {
        thread(name = "print-copy") {
            try {
                pdf.inputStream().use { input -> FileOutputStream(destination.fileDescriptor).use { input.copyTo(it) } }
                main.post { callback.onWriteFinished(arrayOf(PageRange.ALL_PAGES)) }
            } catch (e: IOException) {
                main.post { callback.onWriteFailed(e.message) }
            }
        }
    }
}
