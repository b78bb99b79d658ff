/*===- generate.c - greedy generation through ssmc's C API ---------------===
 *
 * Usage: ssmc-generate-c MODEL.ssmpkg MODEL_DIR N ID [ID...]
 * Loads a model package (ssmc compile MODEL_DIR -o MODEL.ssmpkg) over its
 * checkpoint, prefills the prompt ids, then decodes N tokens greedily and
 * prints them. What a server embedding ssmc does, minus the server.
 *
 *===----------------------------------------------------------------------===*/
#include "ssmc/runtime/ssmc_runtime.h"

#include <stdio.h>
#include <stdlib.h>

static int64_t argmax(const float *row, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (row[i] > row[best])
      best = i;
  return best;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s MODEL.ssmpkg MODEL_DIR N ID [ID...]\n",
            argv[0]);
    return 2;
  }
  int n = atoi(argv[3]);
  size_t len = (size_t)(argc - 4);
  int64_t *prompt = malloc(len * sizeof(int64_t));
  for (size_t i = 0; i < len; ++i)
    prompt[i] = atoll(argv[4 + i]);

  ssmc_model *model = ssmc_model_load(argv[1], argv[2]);
  if (!model) {
    fprintf(stderr, "error: %s\n", ssmc_last_error());
    return 1;
  }
  int64_t vocab = ssmc_model_vocab_size(model);
  const int64_t *prompts[1] = {prompt};
  ssmc_tensor logits;
  if (ssmc_model_prefill(model, prompts, &len, 1, &logits)) {
    fprintf(stderr, "error: %s\n", ssmc_last_error());
    ssmc_model_free(model);
    return 1;
  }
  /* The next token from the prompt's last position. */
  int64_t next = argmax((const float *)logits.data + (len - 1) * vocab, vocab);
  ssmc_tensor_release(&logits);
  printf("generated:");
  for (int k = 0; k < n; ++k) {
    printf(" %lld", (long long)next);
    if (k + 1 == n)
      break;
    if (ssmc_model_step(model, &next, 1, &logits)) {
      fprintf(stderr, "\nerror: %s\n", ssmc_last_error());
      ssmc_model_free(model);
      return 1;
    }
    next = argmax((const float *)logits.data, vocab);
    ssmc_tensor_release(&logits);
  }
  printf("\n");
  ssmc_model_free(model);
  free(prompt);
  return 0;
}
