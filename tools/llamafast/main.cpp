// llamafast: one binary, one subcommand per job, all thin surfaces over libllamafast.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"llamafast: run Llama-family language models fast, with no Python at run time"};
  app.set_version_flag("--version", std::string("llamafast ") + LLAMAFAST_VERSION);
  app.require_subcommand(1);
  llamafast::cli::add_generate_command(app);
  llamafast::cli::add_chat_command(app);
  llamafast::cli::add_logits_command(app);
  llamafast::cli::add_bench_command(app);
  llamafast::cli::add_tokenize_command(app);
  llamafast::cli::add_detokenize_command(app);
  llamafast::cli::add_export_command(app);
  llamafast::cli::add_init_random_command(app);
  llamafast::cli::add_inspect_command(app);
  llamafast::cli::add_verify_command(app);
  llamafast::cli::add_perplexity_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "llamafast: %s\n", e.what());
    return 2;
  } catch (const llamafast::cli::ExitError& e) {
    std::fprintf(stderr, "llamafast: %s\n", e.message.c_str());
    return e.code;
  }
  return 0;
}
