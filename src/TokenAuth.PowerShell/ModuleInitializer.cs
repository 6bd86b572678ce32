using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;

namespace TokenAuth.Commands
{
    /// <summary>Attaches <see cref="ModuleFolderResolver"/> when the module is imported, and detaches it when it is removed.</summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        public void OnImport() => ModuleFolderResolver.Attach();

        public void OnRemove(PSModuleInfo psModuleInfo) => ModuleFolderResolver.Detach();
    }

    /// <summary>
    /// Windows PowerShell 5.1 has no assembly load contexts: the module's own dependencies (System.Text.Json and
    /// friends) are resolved from its folder, whatever version another assembly asked for. PowerShell 7 needs none
    /// of this: the net8.0 build ships nothing the runtime already has. No PowerShell type here, so that a test can
    /// load the module folder on a .NET Framework-style runtime without PowerShell (tests/TokenAuth.ModuleFolderProbe).
    /// </summary>
    public static class ModuleFolderResolver
    {
        private static readonly string ModuleBinFolder = Path.GetDirectoryName(typeof(ModuleFolderResolver).Assembly.Location) ?? "";

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
            var path = Path.Combine(ModuleBinFolder, new AssemblyName(args.Name).Name + ".dll");
            return File.Exists(path) ? Assembly.LoadFrom(path) : null;
        }
    }
}
