import ArgumentParser
import Foundation
import TensorCore
import Training

/// Set by the SIGINT handler, read by long loops once per step (a plain flag: the handler does
/// nothing else, which is all a signal handler may safely do).
nonisolated(unsafe) var interruptRequested: Int32 = 0

/// Runs `body` with Ctrl-C turned into a flag (`interrupted()`), so loops can stop cleanly —
/// write a checkpoint, cancel a video (ffmpeg runs in its own process group and would otherwise
/// finish a hidden temporary mp4) — instead of the process dying mid-write. A
/// `TalkingHeadVideo.Interrupted` thrown inside becomes exit status 130 (128 + SIGINT) after one
/// line on stderr.
func withInterruptsCaught<T>(_ what: String, _ body: () throws -> T) throws -> T {
    interruptRequested = 0
    signal(SIGINT) { _ in interruptRequested = 1 }
    defer { signal(SIGINT, SIG_DFL) }
    do { return try body() } catch is TalkingHeadVideo.Interrupted {
        logLine("\(what): interrupted; nothing written")
        throw ExitCode(130)
    }
}

/// True once Ctrl-C was pressed inside `withInterruptsCaught`.
func interrupted() -> Bool { interruptRequested != 0 }
