namespace Treue.Storage;

/// <summary>
/// Files in the data folder hold the database, keys and sign-in codes: on Unix they are created readable and writable
/// by the server's user only (folder 0700, files 0600), whatever the process's umask allows. On Windows the folder's
/// inherited access rules apply.
/// </summary>
public static class PrivateFiles
{
    /// <summary>Owner read, write and search.</summary>
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Owner read and write.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates the folder (and missing parents) as 0700; an existing folder is left as it is.</summary>
    public static void CreateFolder(string path)
    {
        if (Directory.Exists(path)) return;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, FolderMode);
    }

    /// <summary>
    /// Creates the file empty as 0600 if it does not exist (in a 0700 folder if that is missing too), or takes away the
    /// group's and others' access to an existing one that has it. Returns whether the file was created.
    /// </summary>
    public static bool Ensure(string path)
    {
        CreateFolder(Path.GetDirectoryName(Path.GetFullPath(path))!);
        try
        {
            using (Open(path, System.IO.FileMode.CreateNew, FileAccess.Write)) { }
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            Restrict(path);
            return false;
        }
    }

    /// <summary>Opens a file for writing; a new one is created 0600 and an existing one restricted to 0600.</summary>
    public static FileStream Open(string path, System.IO.FileMode mode, FileAccess access = FileAccess.Write)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = FileMode;
        var stream = new FileStream(path, options);
        Restrict(path);
        return stream;
    }

    /// <summary>Writes the whole file (0600).</summary>
    public static async Task WriteAllTextAsync(string path, string text, CancellationToken ct = default)
    {
        CreateFolder(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await using var stream = Open(path, System.IO.FileMode.Create);
        await using var writer = new StreamWriter(stream);
        await writer.WriteAsync(text.AsMemory(), ct);
    }

    /// <summary>Appends to the file (created 0600).</summary>
    public static async Task AppendAllTextAsync(string path, string text, CancellationToken ct = default)
    {
        CreateFolder(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await using var stream = Open(path, System.IO.FileMode.Append);
        await using var writer = new StreamWriter(stream);
        await writer.WriteAsync(text.AsMemory(), ct);
    }

    private static void Restrict(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        var mode = File.GetUnixFileMode(path);
        try
        {
            if ((mode & ~FileMode) != 0) File.SetUnixFileMode(path, mode & FileMode);
        }
        catch (UnauthorizedAccessException)
        {
            // Another user's file that this one may write to: its owner decides who else may.
        }
    }
}
