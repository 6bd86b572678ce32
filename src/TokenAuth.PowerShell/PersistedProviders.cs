using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using TokenAuth.Providers;

namespace TokenAuth.Commands
{
    /// <summary>
    /// Registrations kept for the user's later sessions (Register-TokenAuthProvider -Persist), as Register-SecretVault
    /// keeps vaults: one JSON definition per provider in the user's profile folder (TokenAuth/providers under the
    /// application data folder: ~/.config on Linux, %APPDATA% on Windows). A definition holds no secret: a client id at most.
    /// </summary>
    internal static class PersistedProviders
    {
        /// <summary>The persisted files that could not be loaded in this session, and why; reported once (<see cref="TakeUnreported"/>).</summary>
        private static readonly List<string> Skipped = new List<string>();

        private static int _reported;

        /// <summary>The files that could not be loaded, the first time it is asked in the session; else none.</summary>
        public static IReadOnlyList<string> TakeUnreported()
        {
            if (Volatile.Read(ref _reported) != 0)
            {
                return Array.Empty<string>();
            }

            // The session's registry is loaded (LoadInto) before its skipped files are read.
            _ = TokenAuthSession.Providers;
            return Interlocked.Exchange(ref _reported, 1) == 0 ? Skipped : Array.Empty<string>();
        }

        public static string Folder =>
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify), "TokenAuth", "providers");

        /// <summary>The registry with every persisted registration in it; a file that does not load is skipped, never fatal.</summary>
        public static ProviderRegistry LoadInto(ProviderRegistry registry)
        {
            try
            {
                if (!Directory.Exists(Folder))
                {
                    return registry;
                }

                foreach (var file in Directory.GetFiles(Folder, "*.json"))
                {
                    try
                    {
                        registry.Register(ProviderDefinitionLoader.LoadFile(file));
                    }
                    catch (Exception ex) when (ex is Errors.TokenAuthException || ex is IOException || ex is UnauthorizedAccessException)
                    {
                        Skipped.Add(ex.Message.Contains(file) ? ex.Message : $"{file}: {ex.Message}");
                    }
                }
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                Skipped.Add($"{Folder}: {ex.Message}");
            }

            return registry;
        }

        public static string PathOf(string name) => Path.Combine(Folder, string.Concat(name.Split(Path.GetInvalidFileNameChars())) + ".json");

        public static string Save(ProviderDefinition definition)
        {
            Directory.CreateDirectory(Folder);
            Remove(definition.Name);
            var path = PathOf(definition.Name);
            File.WriteAllText(path, ProviderDefinitionLoader.ToJson(definition));
            return path;
        }

        /// <summary>Forgets a persisted registration, whatever the case its file was saved in; false when there was none.</summary>
        public static bool Remove(string name)
        {
            var removed = false;
            foreach (var file in FilesOf(name))
            {
                File.Delete(file);
                removed = true;
            }

            return removed;
        }

        /// <summary>A provider's files: its name ignores case, and file names on Linux and macOS do not (Kept.json and kept.json are one provider).</summary>
        private static string[] FilesOf(string name)
        {
            var wanted = Path.GetFileName(PathOf(name));
            return Directory.Exists(Folder)
                ? Directory.GetFiles(Folder, "*.json").Where(file => string.Equals(Path.GetFileName(file), wanted, StringComparison.OrdinalIgnoreCase)).ToArray()
                : Array.Empty<string>();
        }
    }
}
