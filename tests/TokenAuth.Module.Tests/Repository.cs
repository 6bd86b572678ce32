namespace TokenAuth.Module.Tests;

/// <summary>Paths in the repository and in the module the build lays out under out/TokenAuth.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string Module => Path.Combine(Root, "out", "TokenAuth");

    public static string Bin(string framework) => Path.Combine(Module, "bin", framework);

    public static string CmdletAssembly => Path.Combine(Bin("net8.0"), "TokenAuth.PowerShell.dll");

    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory != null; directory = directory.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(directory.FullName, "TokenAuth.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("TokenAuth.sln not found above " + AppContext.BaseDirectory);
    }
}
