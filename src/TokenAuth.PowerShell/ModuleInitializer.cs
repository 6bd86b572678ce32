using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;

namespace TokenAuth.Commands
{
    /// <summary>
    /// Windows PowerShell 5.1 has no assembly load contexts: the module's own dependencies (System.Text.Json and
    /// friends) are resolved from its folder, whatever version another assembly asked for. PowerShell 7 needs none
    /// of this: the net8.0 build ships nothing the runtime already has.
    /// </summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        private static readonly string ModuleBinFolder = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? "";

        public void OnImport()
        {
            if (IsNetFramework)
            {
                AppDomain.CurrentDomain.AssemblyResolve += ResolveFromModuleFolder;
            }
        }

        public void OnRemove(PSModuleInfo psModuleInfo)
        {
            if (IsNetFramework)
            {
                AppDomain.CurrentDomain.AssemblyResolve -= ResolveFromModuleFolder;
            }
        }

        private static bool IsNetFramework => System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal);

        private static Assembly? ResolveFromModuleFolder(object? sender, ResolveEventArgs args)
        {
            var path = Path.Combine(ModuleBinFolder, new AssemblyName(args.Name).Name + ".dll");
            return File.Exists(path) ? Assembly.LoadFrom(path) : null;
        }
    }
}
