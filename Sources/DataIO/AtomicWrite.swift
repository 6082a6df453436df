import Foundation

/// Writes `data` to `url` atomically: a temporary file in the same folder, then rename(2) over the
/// destination, so an interrupt never leaves a half-written file in place of an earlier good one.
/// The one atomic-write helper of the project (every writer calls it).
/// Throws `FileWriteError` naming the file when the folder is missing or not writable.
public func writeAtomically(_ data: Data, to url: URL) throws {
    let folder = url.deletingLastPathComponent()
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDir), isDir.boolValue else {
        throw FileWriteError(path: url.path, reason: "the folder \(folder.path) does not exist")
    }
    let tmp = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UUID().uuidString.prefix(8))")
    guard FileManager.default.createFile(atPath: tmp.path, contents: data) else {
        throw FileWriteError(path: url.path, reason: "cannot create a file in \(folder.path) (permission denied or disk full)")
    }
    if rename(tmp.path, url.path) != 0 {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(at: tmp)
        throw FileWriteError(path: url.path, reason: reason)
    }
}

/// A failed write: `description` is one line naming the file.
public struct FileWriteError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
    public var description: String { "\(path): cannot write: \(reason)" }
}

/// Creates a folder (and parents) or throws a one-line error naming it.
public func createFolder(_ url: URL) throws {
    do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
        throw FileWriteError(path: url.path, reason: "cannot create the folder")
    }
}
