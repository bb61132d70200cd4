import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The `native-image` command of the toolchain that deploy/native/toolchain.sh assembles.
 *
 * Maven Central serves the Native Image builder (org.graalvm.nativeimage:svm and its modules) but not the
 * driver that GraalVM distributions put in front of it. This launcher does the driver's part for the options
 * Quarkus and the libraries on our class path use: it turns the user-facing options (--features,
 * --initialize-at-run-time, -o, -jar, ...) into the builder's hosted options, applies the
 * META-INF/native-image configuration of every class-path entry (native-image.properties and the JSON
 * metadata files), and starts the builder module on the toolchain's JDK with JVMCI enabled.
 *
 * An option it does not know stops it with an error, instead of being passed on or dropped silently.
 * NATIVE_IMAGE_ANALYSIS_ONLY=true stops the build after the points-to analysis (-H:+ReturnAfterAnalysis):
 * class initialisation, missing classes and unsupported features are reported by then, and no C toolchain
 * or static library is needed.
 */
public final class NativeImageLauncher {

    private static final String BUILDER_MODULE = "org.graalvm.nativeimage.builder";
    private static final String BUILDER_MAIN = "com.oracle.svm.hosted.NativeImageGeneratorRunner";
    private static final Map<String, String> CONFIG_FILE_OPTIONS = Map.of(
            "reachability-metadata.json", "ReachabilityMetadataResources",
            "jni-config.json", "JNIConfigurationResources",
            "reflect-config.json", "ReflectionConfigurationResources",
            "resource-config.json", "ResourceConfigurationResources",
            "proxy-config.json", "DynamicProxyConfigurationResources",
            "serialization-config.json", "SerializationConfigurationResources",
            "serialization-deny-config.json", "SerializationDenyConfigurationResources",
            "predefined-classes-config.json", "PredefinedClassesConfigurationResources");

    private final Path home;
    private final String version;
    private final List<String> jvmArgs = new ArrayList<>();
    private final List<String> builderArgs = new ArrayList<>();
    private final LinkedHashSet<Path> classPath = new LinkedHashSet<>();
    private final List<Pattern[]> excludedConfig = new ArrayList<>();
    private String mainClass;
    private String imageName;
    private Path imageDir;
    private boolean verbose;
    private boolean jarGiven;
    private final List<String> positional = new ArrayList<>();

    private NativeImageLauncher(Path home, String version) {
        this.home = home;
        this.version = version;
    }

    public static void main(String[] args) throws Exception {
        Path home = Path.of(System.getProperty("native-image.home")).toAbsolutePath().normalize();
        String version = Files.readString(home.resolve("lib/svm/builder-version")).trim();
        List<String> expanded = expandArgFiles(List.of(args));
        if (expanded.contains("--version") || expanded.contains("-version")) {
            printVersion(version);
            return;
        }
        NativeImageLauncher launcher = new NativeImageLauncher(home, version);
        launcher.apply(expanded, null);
        launcher.applyPositional();
        System.exit(launcher.build());
    }

    /** The three lines GraalVM's driver prints, in the form Quarkus parses (GraalVM CE, JDK feature release). */
    private static void printVersion(String builderVersion) {
        Runtime.Version java = Runtime.version();
        String javaBuild = java.feature() + "." + java.interim() + "." + java.update() + "+" + java.build().orElse(0);
        System.out.println("native-image " + java.feature() + "." + java.interim() + "." + java.update() + " "
                + System.getProperty("java.version.date", ""));
        // Quarkus parses the build in parentheses with Runtime.Version.parse: nothing else may be in there.
        System.out.println("GraalVM Runtime Environment GraalVM CE " + javaBuild + ".1 (build " + java + ")");
        System.out.println("Substrate VM GraalVM CE " + javaBuild + ".1 (build " + javaBuild + ", serial gc)");
        // Exactly three lines: Quarkus refuses any other number. The builder's own version is in lib/svm/builder-version.
    }

    private static List<String> expandArgFiles(List<String> args) throws IOException {
        List<String> result = new ArrayList<>();
        for (String arg : args) {
            if (arg.startsWith("@") && arg.length() > 1) {
                result.addAll(expandArgFiles(tokenize(Files.readString(Path.of(arg.substring(1))))));
            } else {
                result.add(arg);
            }
        }
        return result;
    }

    /** Splits an argument file or a native-image.properties value like a shell would (quotes, backslashes). */
    static List<String> tokenize(String text) {
        List<String> tokens = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean inToken = false;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else if (c == '\\' && quote == '"' && i + 1 < text.length()) {
                    current.append(text.charAt(++i));
                } else {
                    current.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inToken = true;
            } else if (c == '\\' && i + 1 < text.length()) {
                char next = text.charAt(++i);
                if (next != '\n') {
                    current.append(next);
                    inToken = true;
                }
            } else if (Character.isWhitespace(c)) {
                if (inToken) {
                    tokens.add(current.toString());
                    current.setLength(0);
                    inToken = false;
                }
            } else {
                current.append(c);
                inToken = true;
            }
        }
        if (inToken) {
            tokens.add(current.toString());
        }
        return tokens;
    }

    /** Applies native-image arguments; origin is the properties file they come from, or null for the command line. */
    private void apply(List<String> args, String origin) throws IOException {
        Deque<String> queue = new ArrayDeque<>(args);
        while (!queue.isEmpty()) {
            String arg = queue.poll();
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            String value = arg.contains("=") ? arg.substring(arg.indexOf('=') + 1) : null;
            switch (name) {
                case "-cp", "-classpath", "--class-path" -> addClassPath(value != null ? value : queue.poll(), Path.of(""));
                case "-jar" -> addJar(Path.of(queue.poll()));
                case "-o" -> setOutput(value != null ? value : queue.poll());
                case "--no-fallback" -> hosted("FallbackThreshold", "0", origin);
                case "--features" -> hosted("Features", value, origin);
                case "--initialize-at-run-time" -> classInitialization(value, "run_time", origin);
                case "--initialize-at-build-time" -> classInitialization(value, "build_time", origin);
                case "--link-at-build-time" -> hosted("LinkAtBuildTime", value == null ? "" : value, origin);
                case "--link-at-build-time-paths" -> hosted("LinkAtBuildTimePaths", value, origin);
                case "--enable-url-protocols" -> hosted("EnableURLProtocols", value, origin);
                case "--enable-http" -> hosted("EnableURLProtocols", "http", origin);
                case "--enable-https" -> hosted("EnableURLProtocols", "https", origin);
                case "--enable-all-security-services" -> hosted("+EnableAllSecurityServices", null, origin);
                case "--enable-monitoring" -> hosted("EnableMonitoringFeatures", value == null ? "all" : value, origin);
                case "--install-exit-handlers" -> hosted("+InstallExitHandlers", null, origin);
                case "--parallelism" -> hosted("NumberOfThreads", value, origin);
                case "-march" -> hosted("MicroArchitecture", value, origin);
                case "--add-exports" -> hosted("AddExports", value != null ? value : queue.poll(), origin);
                case "--add-opens" -> hosted("AddOpens", value != null ? value : queue.poll(), origin);
                case "--enable-native-access" -> hosted("EnableNativeAccess", value != null ? value : queue.poll(), origin);
                case "--add-reads" -> hosted("AddReads", value != null ? value : queue.poll(), origin);
                case "--trace-object-instantiation" -> hosted("TraceObjectInstantiation", value, origin);
                case "--trace-class-initialization" -> hosted("TraceClassInitialization", value, origin);
                case "--static" -> hosted("+StaticExecutable", null, origin);
                case "--static-nolibc" -> hosted("+StaticExecutableWithDynamicLibC", null, origin);
                case "--libc" -> hosted("UseLibC", value, origin);
                case "--exact-reachability-metadata" -> hosted("ThrowMissingRegistrationErrors", value == null ? "" : value, origin);
                case "--exclude-config" -> excludedConfig.add(new Pattern[] {Pattern.compile(queue.poll()), Pattern.compile(queue.poll())});
                case "--verbose" -> verbose = true;
                case "--allow-incomplete-classpath", "--report-unsupported-elements-at-runtime", "--strict-image-heap",
                     "--configure-reflection-metadata", "--no-server" -> {
                    // Deprecated options that have no function any more; GraalVM's driver accepts them too.
                }
                case "-g" -> hosted("GenerateDebugInfo", "2", origin);
                default -> {
                    if (arg.startsWith("-J")) {
                        jvmArgs.add(arg.substring(2));
                    } else if (arg.startsWith("-D")) {
                        jvmArgs.add(arg);
                    } else if (arg.startsWith("-H:") || arg.startsWith("-R:")) {
                        builderArgs.add(withOrigin(arg, origin));
                    } else if (arg.startsWith("-O") && arg.length() > 2) {
                        hosted("Optimize", arg.substring(2), origin);
                    } else if (arg.startsWith("--gc=")) {
                        hosted("+Use" + Character.toUpperCase(value.charAt(0)) + value.substring(1) + "GC", null, origin);
                    } else if (!arg.startsWith("-") && origin == null) {
                        positional.add(arg);
                    } else {
                        throw new IllegalArgumentException("native-image option not supported by this launcher: " + arg
                                + (origin == null ? "" : " (from " + origin + ")"));
                    }
                }
            }
        }
    }

    /** As native-image: [MAIN-CLASS] [IMAGE-NAME], or with -jar only [IMAGE-NAME]. */
    private void applyPositional() {
        List<String> rest = new ArrayList<>(positional);
        if (!jarGiven && !rest.isEmpty()) {
            mainClass = rest.remove(0);
        }
        if (!rest.isEmpty()) {
            setOutput(rest.remove(0));
        }
        if (!rest.isEmpty()) {
            throw new IllegalArgumentException("unexpected arguments: " + rest);
        }
    }

    private void hosted(String option, String value, String origin) {
        if (option.startsWith("+") || option.startsWith("-")) {
            builderArgs.add(withOrigin("-H:" + option, origin));
        } else {
            builderArgs.add(withOrigin("-H:" + option + "=" + (value == null ? "" : value), origin));
        }
    }

    private void classInitialization(String value, String when, String origin) {
        if (value == null || value.isEmpty()) {
            return;
        }
        String spec = Stream.of(value.split(",")).filter(s -> !s.isBlank()).map(s -> s + ":" + when)
                .collect(Collectors.joining(","));
        hosted("ClassInitialization", spec, origin);
    }

    /** -H:Name=value becomes -H:Name@origin=value, as GraalVM's driver marks options from configuration files. */
    private static String withOrigin(String arg, String origin) {
        if (origin == null) {
            return arg;
        }
        int equals = arg.indexOf('=');
        return equals < 0 ? arg + "@" + origin : arg.substring(0, equals) + "@" + origin + arg.substring(equals);
    }

    private void setOutput(String output) {
        Path path = Path.of(output);
        imageName = path.getFileName().toString();
        if (path.getParent() != null) {
            imageDir = path.getParent().toAbsolutePath();
        }
    }

    private void addClassPath(String value, Path base) {
        for (String entry : value.split(":")) {
            if (entry.isEmpty()) {
                continue;
            }
            if (entry.endsWith("/*") || entry.equals("*")) {
                Path dir = base.resolve(entry.substring(0, entry.length() - 1));
                try (Stream<Path> jars = Files.list(dir)) {
                    jars.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(p -> classPath.add(p.toAbsolutePath().normalize()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            } else {
                classPath.add(base.resolve(entry).toAbsolutePath().normalize());
            }
        }
    }

    private void addJar(Path jar) throws IOException {
        jarGiven = true;
        Path absolute = jar.toAbsolutePath().normalize();
        classPath.add(absolute);
        try (JarFile file = new JarFile(absolute.toFile())) {
            Manifest manifest = file.getManifest();
            if (manifest == null) {
                return;
            }
            String main = manifest.getMainAttributes().getValue("Main-Class");
            if (main != null) {
                mainClass = main;
            }
            String manifestClassPath = manifest.getMainAttributes().getValue("Class-Path");
            if (manifestClassPath != null) {
                for (String entry : manifestClassPath.trim().split("\\s+")) {
                    classPath.add(absolute.getParent().resolve(URI.create(entry).getPath()).normalize());
                }
            }
        }
    }

    /** What GraalVM's driver reads from each class-path entry's META-INF/native-image. */
    private void applyMetaInf(Path entry) throws IOException {
        if (Files.isDirectory(entry)) {
            applyMetaInf(entry, entry.resolve("META-INF/native-image"));
        } else if (Files.isRegularFile(entry) && entry.toString().endsWith(".jar")) {
            try (FileSystem jar = FileSystems.newFileSystem(entry)) {
                applyMetaInf(entry, jar.getPath("/META-INF/native-image"));
            }
        }
    }

    private void applyMetaInf(Path entry, Path base) throws IOException {
        if (!Files.isDirectory(base)) {
            return;
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(base)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        Path root = base.getParent().getParent();
        for (Path file : files) {
            String fileName = file.getFileName().toString();
            String relative = root.relativize(file).toString();
            boolean isProperties = fileName.equals("native-image.properties");
            if ((!isProperties && !CONFIG_FILE_OPTIONS.containsKey(fileName)) || excluded(entry, relative)) {
                continue;
            }
            String origin = file.toUri().toString();
            if (verbose) {
                System.err.println("Apply " + origin);
            }
            if (isProperties) {
                Properties properties = new Properties();
                try (InputStream in = Files.newInputStream(file)) {
                    properties.load(in);
                }
                String dir = root.relativize(file.getParent()).toString();
                String javaArgs = properties.getProperty("JavaArgs");
                if (javaArgs != null) {
                    tokenize(javaArgs.replace("${.}", dir)).forEach(jvmArgs::add);
                }
                String args = properties.getProperty("Args");
                if (args != null) {
                    apply(tokenize(args.replace("${.}", dir)), origin);
                }
            } else {
                builderArgs.add("-H:" + CONFIG_FILE_OPTIONS.get(fileName) + "@" + origin + "=" + relative);
            }
        }
    }

    private boolean excluded(Path entry, String resource) {
        // Patterns are written against the resource's path inside its jar or directory, with a leading slash.
        return excludedConfig.stream().anyMatch(p -> p[0].matcher(entry.toString()).find() && p[1].matcher("/" + resource).find());
    }

    private int build() throws IOException, InterruptedException {
        for (Path entry : List.copyOf(classPath)) {
            applyMetaInf(entry);
        }
        if (imageName == null && jarGiven) {
            imageName = classPath.iterator().next().getFileName().toString().replaceFirst("\\.jar$", "");
        }
        if (imageName == null) {
            throw new IllegalArgumentException("no image name: give -o NAME or -jar JAR");
        }
        Path lib = home.resolve("lib/svm");
        List<Path> modulePath;
        try (Stream<Path> jars = Files.list(lib.resolve("builder"))) {
            modulePath = jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        }
        Set<String> builderModules = new TreeSet<>();
        Set<String> systemModules = ModuleFinder.ofSystem().findAll().stream().map(r -> r.descriptor().name())
                .collect(Collectors.toSet());
        // A JDK that ships its own jdk.graal.compiler (Temurin 25 does) gets the builder's version of it
        // through --upgrade-module-path, as GraalVM's driver does with lib/jvmci.
        List<Path> upgradeModulePath = new ArrayList<>();
        List<Path> builderModulePath = new ArrayList<>();
        for (Path jar : modulePath) {
            for (ModuleReference ref : ModuleFinder.of(jar).findAll()) {
                builderModules.add(ref.descriptor().name());
                (systemModules.contains(ref.descriptor().name()) ? upgradeModulePath : builderModulePath).add(jar);
            }
        }
        String exportTargets = String.join(",", builderModules) + ",ALL-UNNAMED";

        List<String> vm = new ArrayList<>();
        vm.add("-XX:+UseParallelGC");
        vm.add("-XX:+UnlockExperimentalVMOptions");
        vm.add("-XX:+EnableJVMCI");
        vm.add("-XX:-UseJVMCICompiler");
        vm.add("-Xss10m");
        vm.add("-Xshare:off");
        vm.add("-Djava.awt.headless=true");
        vm.add("-Dtruffle.TrustAllTruffleRuntimeProviders=true");
        vm.add("-Dtruffle.TruffleRuntime=com.oracle.truffle.api.impl.DefaultTruffleRuntime");
        vm.add("-Dgraalvm.ForcePolyglotInvalid=true");
        vm.add("-Dgraalvm.locatorDisabled=true");
        vm.add("-Dsubstratevm.HostLibC=glibc");
        vm.add("-Dorg.graalvm.vendor=Streaming Arrow assembled toolchain");
        vm.add("-Dorg.graalvm.vendorurl=https://www.graalvm.org/");
        vm.add("-Dorg.graalvm.vendorversion=GraalVM CE " + version + " (builder from Maven Central)");
        vm.add("-Dorg.graalvm.version=" + version);
        vm.add("-Dcom.oracle.graalvm.isaot=true");
        vm.add("-Dorg.graalvm.nativeimage.imagecode=buildtime");
        vm.add("-Djava.system.class.loader=com.oracle.svm.hosted.NativeImageSystemClassLoader");
        vm.add("-Djdk.reflect.useOldSerializableConstructor=true");
        vm.add("-Djdk.internal.lambda.disableEagerInitialization=true");
        vm.add("-Djdk.internal.lambda.eagerlyInitialize=false");
        vm.add("-Djava.lang.invoke.InnerClassLambdaMetafactory.initializeLambdas=false");
        vm.add("-Djava.lang.invoke.MethodHandle.DONT_INLINE_THRESHOLD=-1");
        vm.add("-Djava.lang.invoke.MethodHandle.PROFILE_GWT=false");
        // The builder reaches into JVMCI and JDK internals: GraalVM's driver exports what the builder's
        // module declares as required-but-concealed; here every concealed package of the JDK's modules.
        // The modules of the builder's boot layer: the default ones plus what the builder modules require.
        Set<ModuleDescriptor> resolved = new java.util.HashSet<>();
        ModuleLayer.boot().modules().forEach(m -> resolved.add(m.getDescriptor()));
        Set<String> roots = new TreeSet<>(builderModules);
        resolved.forEach(d -> roots.add(d.name()));
        java.lang.module.Configuration.resolve(
                ModuleFinder.compose(ModuleFinder.of(modulePath.toArray(Path[]::new)), ModuleFinder.ofSystem()),
                List.of(java.lang.module.Configuration.empty()), ModuleFinder.of(), roots)
                .modules().forEach(m -> resolved.add(m.reference().descriptor()));
        for (ModuleDescriptor descriptor : resolved) {
            if (!systemModules.contains(descriptor.name()) || builderModules.contains(descriptor.name())) {
                continue;
            }
            Set<String> exported = descriptor.exports().stream().filter(e -> !e.isQualified())
                    .map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
            for (String pkg : descriptor.packages()) {
                if (!exported.contains(pkg)) {
                    vm.add("--add-exports=" + descriptor.name() + "/" + pkg + "=" + exportTargets);
                }
            }
        }
        vm.addAll(jvmArgs);
        vm.add("--add-modules=ALL-DEFAULT");
        vm.add("--enable-native-access=" + String.join(",", builderModules));
        if (!upgradeModulePath.isEmpty()) {
            vm.add("--upgrade-module-path");
            vm.add(upgradeModulePath.stream().map(Path::toString).collect(Collectors.joining(":")));
        }
        vm.add("--module-path");
        vm.add(builderModulePath.stream().map(Path::toString).collect(Collectors.joining(":")));
        vm.add("-m");
        vm.add(BUILDER_MODULE + "/" + BUILDER_MAIN);

        List<String> image = new ArrayList<>();
        image.add("-imagecp");
        image.add(classPath.stream().map(Path::toString).collect(Collectors.joining(":")));
        Path clibs = lib.resolve("clibraries/linux-amd64");
        image.add("-H:CLibraryPath=" + clibs.resolve("glibc") + "," + clibs + "," + lib.resolve("clibraries"));
        image.add("-H:Path=" + (imageDir != null ? imageDir : Path.of("").toAbsolutePath()));
        image.add("-H:Name=" + imageName);
        if (mainClass != null) {
            image.add("-H:Class=" + mainClass);
        }
        // As GraalVM's driver does: the build ID is a UUID derived from the arguments.
        image.add("-H:ImageBuildID=" + java.util.UUID.nameUUIDFromBytes(String.join("\0", builderArgs).getBytes(StandardCharsets.UTF_8)));
        image.addAll(builderArgs);
        Path jdkShared = lib.resolve("jdk-shared");
        if (Files.isDirectory(jdkShared)) {
            // The JDK's shared libraries stand in for its static ones (toolchain.sh): the executable finds
            // them, and the empty libjvm.so they depend on, through an RPATH (which also serves their own
            // dependencies, unlike RUNPATH).
            for (String linkerArg : List.of("--disable-new-dtags", "-rpath=" + jdkShared, "-rpath-link=" + jdkShared)) {
                image.add("-H:NativeLinkerOption=-Xlinker");
                image.add("-H:NativeLinkerOption=" + linkerArg);
            }
        }
        if (Boolean.parseBoolean(System.getenv("NATIVE_IMAGE_ANALYSIS_ONLY"))) {
            image.add("-H:+ReturnAfterAnalysis");
        }

        Path vmArgFile = Files.createTempFile("native-image-vm", ".args");
        Path imageArgFile = Files.createTempFile("native-image-builder", ".args");
        try {
            Files.writeString(vmArgFile, vm.stream().map(NativeImageLauncher::quote).collect(Collectors.joining("\n")));
            Files.writeString(imageArgFile, String.join("\0", image), StandardCharsets.UTF_8);
            List<String> command = new ArrayList<>();
            command.add(home.resolve("bin/java").toString());
            command.add("@" + vmArgFile);
            command.add("-keepalive");
            command.add("/proc/" + ProcessHandle.current().pid() + "/comm");
            command.add("--image-args-file=" + imageArgFile);
            if (verbose) {
                System.err.println("Executing [" + String.join(" \\\n", vm) + " \\\n" + String.join(" \\\n", image) + "]");
            }
            ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
            pb.environment().put("USE_NATIVE_IMAGE_JAVA_PLATFORM_MODULE_SYSTEM", "true");
            return pb.start().waitFor();
        } finally {
            Files.deleteIfExists(vmArgFile);
            Files.deleteIfExists(imageArgFile);
        }
    }

    private static String quote(String arg) {
        if (arg.chars().noneMatch(c -> Character.isWhitespace(c) || c == '"' || c == '\'' || c == '\\' || c == '#')) {
            return arg;
        }
        return "\"" + arg.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
