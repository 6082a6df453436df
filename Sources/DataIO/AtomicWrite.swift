import Foundation

/// Writes `data` to `url` atomically: a temporary file in the same folder, then rename, so an
/// interrupt never leaves a half-written file in place of an earlier good one.
/// Throws `FileWriteError` naming the file when the folder is missing or not writable.
public func writeAtomically(_ data: Data, to url: URL) throws {
    let folder = url.deletingLastPathComponent()
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDir), isDir.boolValue else {
        throw FileWriteError.missingFolder(url.path)
    }
    let tmp = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    guard FileManager.default.createFile(atPath: tmp.path, contents: data) else {
        throw FileWriteError.notWritable(url.path)
    }
    if rename(tmp.path, url.path) != 0 {
        try? FileManager.default.removeItem(at: tmp)
        throw FileWriteError.notWritable(url.path)
    }
}

/// Errors of `writeAtomically`.
public enum FileWriteError: Error, CustomStringConvertible, Equatable {
    case missingFolder(String)
    case notWritable(String)
    public var description: String {
        switch self {
        case .missingFolder(let p): return "\(p): the folder does not exist"
        case .notWritable(let p): return "\(p): cannot write (permission denied or disk full)"
        }
    }
}

/// Creates a folder (and parents) or throws a one-line error naming it.
public func createFolder(_ url: URL) throws {
    do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
        throw FileWriteError.notWritable(url.path)
    }
}
