using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Reflection;

namespace TokenAuth.Commands
{
    /// <summary>
    /// Attaches <see cref="ModuleFolderResolver"/> when the module is imported, and detaches it when it is removed. The
    /// import also starts <see cref="EngineWarmUp"/> on another thread, the JSON answer built as the cmdlets build it, so
    /// that a fresh process's first call finds its code compiled.
    /// </summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        public void OnImport()
        {
            ModuleFolderResolver.Attach();
            _ = EngineWarmUp.Start(PowerShellValues.PSObjects);
        }

        public void OnRemove(PSModuleInfo psModuleInfo) => ModuleFolderResolver.Detach();
    }

    /// <summary>
    /// Windows PowerShell 5.1 has no assembly load contexts: the module's own dependencies (System.Text.Json and
    /// friends) are resolved from its folder, whatever version they asked for. Only TokenAuth's requests are answered,
    /// as PSResourceGet answers only its own: another module asking for System.Text.Json must get its own copy or its
    /// own failure, never this one. PowerShell 7 needs none of this: the net8.0 build ships nothing the runtime already
    /// has. No PowerShell type here, so that a test can load the module folder on a .NET Framework-style runtime
    /// without PowerShell (tests/TokenAuth.ModuleFolderProbe).
    /// </summary>
    public static class ModuleFolderResolver
    {
        private static readonly Assembly Self = typeof(ModuleFolderResolver).Assembly;
        private static readonly string ModuleBinFolder = Path.GetDirectoryName(Self.Location) ?? "";

        /// <summary>TokenAuth's own assemblies by name: this one and the TokenAuth ones it references (read from metadata, so nothing loads).</summary>
        private static readonly string[] OwnNames = Self.GetReferencedAssemblies().Append(Self.GetName()).Select(name => name.Name ?? "")
            .Where(name => name.StartsWith("TokenAuth.", StringComparison.Ordinal)).ToArray();

        /// <summary>Runtimes without AssemblyLoadContext: .NET Framework, and Mono standing in for it.</summary>
        private static bool HasNoLoadContexts => Type.GetType("System.Runtime.Loader.AssemblyLoadContext") == null;

        public static void Attach()
        {
            if (HasNoLoadContexts)
            {
                AppDomain.CurrentDomain.AssemblyResolve += ResolveFromModuleFolder;
            }
        }

        public static void Detach()
        {
            if (HasNoLoadContexts)
            {
                AppDomain.CurrentDomain.AssemblyResolve -= ResolveFromModuleFolder;
            }
        }

        private static Assembly? ResolveFromModuleFolder(object? sender, ResolveEventArgs args)
        {
            var name = new AssemblyName(args.Name).Name ?? "";
            // TokenAuth's own assemblies, which nobody else ships, go to whoever asks (a script's type name, another
            // module), by any spelling: assembly names are not case-sensitive, though the file system may be. The
            // folder's copy of a shared library goes only to a requester loaded from the folder: one with no requester
            // (Assembly.Load or Type.GetType by name) cannot be told to be ours.
            var own = OwnNames.FirstOrDefault(ownName => string.Equals(ownName, name, StringComparison.OrdinalIgnoreCase));
            var ours = own != null || (args.RequestingAssembly is { } requester && IsFromModuleFolder(requester));
            var path = Path.Combine(ModuleBinFolder, (own ?? name) + ".dll");
            return ours && File.Exists(path) ? Assembly.LoadFrom(path) : null;
        }

        /// <summary>TokenAuth's assemblies and the dependencies loaded from its folder, whose own requests are TokenAuth's too.</summary>
        private static bool IsFromModuleFolder(Assembly assembly) =>
            !assembly.IsDynamic && assembly.Location.Length > 0 && string.Equals(Path.GetDirectoryName(assembly.Location), ModuleBinFolder, StringComparison.OrdinalIgnoreCase);
    }
}
